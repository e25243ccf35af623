import { signBody } from '../../meta/webhook-signature';
import type { SentFeed } from '../fake-graph/fake-graph-control';
import { digitsOf } from '../fake-graph/fake-graph-state';
import { inboundEnvelope, metaJson, type InboundContent } from '../fake-graph/webhook-envelopes';
import { ChatSetupError, type ChatTarget } from './chat-config';

const TIMEOUT_MS = 5000;

const startHint = 'start it with npm start (in another terminal), then run npm run chat again';

/** Fails with a message saying what to do when the service, or its fake Graph API, is not there. */
export async function checkService(target: ChatTarget): Promise<void> {
  const { appUrl, fakeGraphUrl } = target;
  try {
    await fetch(`${appUrl}/health/live`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new ChatSetupError(`The local service is not running: nothing answers at ${appUrl}. Please ${startHint}.`);
  }
  if (!fakeGraphUrl) {
    throw new ChatSetupError(
      `The service at ${appUrl} runs without its fake Graph API (META_GRAPH_URL is set), so the bot's replies cannot be shown here. ` +
        'npm run chat needs npm start with META_GRAPH_URL unset.',
    );
  }
  try {
    await readSent(target, 0);
  } catch {
    throw new ChatSetupError(`The service answers at ${appUrl}, but its fake Graph API at ${fakeGraphUrl} does not: is it the local mode of npm start?`);
  }
}

/** The app's sends to the chat's customer after position `after`, as the app's fake Graph API recorded them. */
export async function readSent(target: ChatTarget, after: number): Promise<SentFeed> {
  const query = new URLSearchParams({ phoneNumberId: target.phoneNumberId, to: target.customer.waId, after: String(after) });
  const response = await fetch(`${target.fakeGraphUrl}/_fake/sent?${query}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET /_fake/sent answered ${response.status}`);
  return (await response.json()) as SentFeed;
}

/** Signed inbound webhooks to the app, as Meta would post them for the chat's customer. */
export class ChatClient {
  constructor(
    private readonly target: ChatTarget,
    private readonly appSecret: string,
  ) {}

  readSent(after: number): Promise<SentFeed> {
    return readSent(this.target, after);
  }

  /** Posts one inbound message as Meta would; `replyTo` is the wamid of the message a tapped choice belongs to. */
  async sendInbound(content: InboundContent, replyTo?: string): Promise<void> {
    const { phoneNumberId, wabaId, displayPhoneNumber, appUrl, customer } = this.target;
    const envelope = inboundEnvelope(phoneNumberId, { wabaId, displayPhoneNumber: digitsOf(displayPhoneNumber) }, customer.waId, content, {
      name: customer.name,
      ...(replyTo ? { replyTo } : {}),
    });
    const raw = metaJson(envelope);
    let response: Response;
    try {
      response = await fetch(`${appUrl}/webhooks/meta`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, this.appSecret) },
        body: raw,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new ChatSetupError(`The local service stopped answering at ${appUrl}. Please ${startHint}.`);
    }
    if (response.status === 401) {
      throw new ChatSetupError(
        'The service refused the webhook signature: the META_APP_SECRET the chat signs with is not the one the service runs with. ' +
          'Run the chat from the folder where npm start runs (it reads .local/dev.env), or set META_APP_SECRET to the service\'s.',
      );
    }
    if (response.status !== 200) throw new Error(`The webhook answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
}
