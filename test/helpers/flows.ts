import { gql, type GraphQLClient } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { message, type Payload } from './meta-payloads';
import { messagesEnvelope, postWebhook, wamid, type ChannelRef } from './meta-webhook';
import { startAppWithFakeGraph } from './app-with-fake-graph';
import { createOrganization } from './fixtures';
import { createChannel, newCustomerNumber, query, waitForValue } from './outbound';
import type { TestApp } from './test-app';

/**
 * Shared vocabulary of the flow tests: the lifecycle operations in GraphQL, and a customer who
 * chats with a channel through the real signed webhook while the fake Graph API records what the
 * bot answered.
 */

export const FLOW_FIELDS = 'id name description draft publishedVersion archivedAt';

export const CREATE_FLOW = gql`
  mutation ($input: CreateFlowInput!) { createFlow(input: $input) { flow { ${FLOW_FIELDS} } } }
`;
export const IMPORT_FLOW = gql`
  mutation ($input: CreateFlowInput!) { importFlow(input: $input) { flow { ${FLOW_FIELDS} } } }
`;
export const UPDATE_FLOW_DRAFT = gql`
  mutation ($input: UpdateFlowDraftInput!) { updateFlowDraft(input: $input) { flow { ${FLOW_FIELDS} } } }
`;
export const VALIDATE_FLOW = gql`
  mutation ($input: ValidateFlowInput!) { validateFlow(input: $input) { valid problems { nodeId field message } } }
`;
export const PUBLISH_FLOW = gql`
  mutation ($input: FlowIdInput!) { publishFlow(input: $input) { flow { ${FLOW_FIELDS} } } }
`;
export const ARCHIVE_FLOW = gql`
  mutation ($input: FlowIdInput!) { archiveFlow(input: $input) { flow { ${FLOW_FIELDS} } } }
`;
export const DUPLICATE_FLOW = gql`
  mutation ($input: DuplicateFlowInput!) { duplicateFlow(input: $input) { flow { ${FLOW_FIELDS} } } }
`;
export const FLOW = gql`
  query ($id: ID!) { flow(id: $id) { ${FLOW_FIELDS} versions { version checksum definition } } }
`;
export const FLOWS = gql`
  query ($filter: FlowFilter, $first: Int) { flows(filter: $filter, first: $first) { totalCount edges { node { id name archivedAt } } } }
`;
export const EXPORT_FLOW = gql`
  query ($input: ExportFlowInput!) { exportFlow(input: $input) { definition version } }
`;
export const SET_DEFAULT_FLOW = gql`
  mutation ($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id defaultFlow { id } } } }
`;
export const ASSIGN = gql`
  mutation ($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { id status } } }
`;
export const HANDOFF = gql`
  mutation ($input: ConversationInput!) { handoffToAgent(input: $input) { conversation { id status } } }
`;
export const RETURN_TO_BOT = gql`
  mutation ($input: ConversationInput!) { returnToBot(input: $input) { conversation { id status } } }
`;

/** Appends every answer to a variable and echoes the tally: a lost update or a reordering of one customer's messages shows in the replies. */
export const TALLY_FLOW = {
  start: 'ask',
  nodes: [
    { id: 'ask', type: 'question', text: 'Tally:{{tally}}', saveAs: 'answer', next: 'add' },
    { id: 'add', type: 'set', var: 'tally', value: '{{tally}} {{answer}}', next: 'ask' },
  ],
};

/**
 * The app with the fake Graph API, one organization and one channel whose default flow is
 * `definition` (the tally flow unless told otherwise): a bot ready to chat.
 */
export async function startAppWithBot(definition: unknown = TALLY_FLOW) {
  const { app, fake, stop } = await startAppWithFakeGraph();
  try {
    const org = await createOrganization(app);
    const channel = await createChannel(app, fake, org.ownerKey);
    const client = app.client(org.ownerKey);
    await setDefaultFlow(client, channel.id, await publishedFlow(client, definition, 'Bot'));
    return { app, fake, stop, org, channel };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function createFlow(client: GraphQLClient, definition: unknown, name = 'Flow'): Promise<string> {
  return (await client.request<any>(CREATE_FLOW, { input: { name, definition } })).createFlow.flow.id;
}

/** Publishes the draft; resolves with the published version number. */
export async function publishFlow(client: GraphQLClient, flowId: string): Promise<number> {
  return (await client.request<any>(PUBLISH_FLOW, { input: { flowId } })).publishFlow.flow.publishedVersion;
}

export async function publishedFlow(client: GraphQLClient, definition: unknown, name = 'Flow'): Promise<string> {
  const id = await createFlow(client, definition, name);
  await publishFlow(client, id);
  return id;
}

export async function setDefaultFlow(client: GraphQLClient, channelId: string, flowId: string | null): Promise<void> {
  await client.request(SET_DEFAULT_FLOW, { input: { id: channelId, defaultFlowId: flowId } });
}

/** What a send to the fake said, in one line: the text, the interactive body, or the template and its values. */
export function describeSend(body: any): string {
  if (body.type === 'text') return body.text.body;
  if (body.type === 'interactive') return body.interactive.body.text;
  if (body.type === 'template') {
    const values = (body.template.components ?? []).flatMap((c: any) => (c.parameters ?? []).map((p: any) => p.text));
    return `template ${body.template.name}(${values.join(', ')})`;
  }
  return `${body.type} message`;
}

export interface ConversationRow {
  id: string;
  status: string;
  botState: { flowId: string; flowVersion: number; currentNodeId: string | null; status: string; variables: Record<string, unknown>; path: string[] } | null;
  botExpiresAt: Date | null;
}

export interface BotEvent {
  type: string;
  nodeId?: string;
  name?: string;
  value?: unknown;
  reason?: string;
  message?: string;
  flowVersion?: number;
}

/**
 * One customer of one channel. `say`, `tap` and `pick` post a signed webhook and return once the
 * message is stored: the bot runs in the same transaction, so its replies are queued by then.
 * `replies` waits until the fake Graph API accepted every reply queued so far.
 */
export class ChatCustomer {
  private seen = 0;

  constructor(
    readonly app: TestApp,
    readonly fake: FakeGraphApi,
    readonly channel: ChannelRef & { id: string },
    readonly waId = newCustomerNumber(),
    readonly name = 'Ana',
  ) {}

  /** Posts one inbound message (any Meta message payload from this customer) and waits until it is stored. */
  async send(payload: Payload): Promise<void> {
    const answer = await postWebhook(this.app.url, this.envelope(payload));
    if (answer.status !== 200) throw new Error(`webhook refused: ${answer.status} ${answer.text}`);
    await this.stored(payload.id);
  }

  envelope(payload: Payload) {
    return messagesEnvelope(this.channel, { contacts: [{ profile: { name: this.name }, wa_id: this.waId }], messages: [payload] });
  }

  say(text: string) {
    return this.send(message.text(this.waId, text, { id: wamid() }));
  }

  /** Taps a reply button: Meta sends an interactive button_reply with the button's id and title. */
  tap(id: string, title: string) {
    return this.send(message.buttonReply(this.waId, { id, title }, this.lastReplyWamid(), { id: wamid() }));
  }

  /** Chooses a list row: an interactive list_reply. */
  pick(id: string, title: string) {
    return this.send(message.listReply(this.waId, { id, title }, this.lastReplyWamid(), { id: wamid() }));
  }

  stored(messageWamid: string) {
    return waitForValue(async () => (await query(this.app, `select 1 from message where wamid = ?`, [messageWamid])).length > 0, {
      what: `message ${messageWamid} from ${this.waId} to be stored`,
      timeoutMs: 20_000,
    });
  }

  /** Every send the fake accepted for this customer, in arrival order. */
  sends(): any[] {
    return this.fake.sentMessages(this.channel.phoneNumberId).filter((r) => (r.body as { to?: string }).to === `+${this.waId}`).map((r) => r.body);
  }

  /**
   * The replies accepted since the previous call, once every outbound message queued so far has
   * reached the fake. `atLeast` also waits for replies queued later (after an HTTP node's request).
   */
  async replies(atLeast = 0): Promise<string[]> {
    const sends = await waitForValue(
      async () => {
        const queued = await this.outboundCount();
        const sends = this.sends();
        return queued >= this.seen + atLeast && sends.length >= queued ? sends : null;
      },
      { what: `the replies to ${this.waId} at the fake Graph API (got ${this.sends().length} so far)`, timeoutMs: 20_000 },
    );
    const fresh = sends.slice(this.seen).map(describeSend);
    this.seen = sends.length;
    return fresh;
  }

  /** Outbound messages stored for this customer's conversations. */
  async outboundCount(): Promise<number> {
    const [row] = await query<{ count: string }>(
      this.app,
      `select count(*) from message m join conversation c on c.id = m.conversation_id join contact ct on ct.id = c.contact_id
       where ct.wa_id = ? and c.channel_id = ? and m.direction = 'OUT'`,
      [this.waId, this.channel.id],
    );
    return Number(row!.count);
  }

  async conversation(): Promise<ConversationRow> {
    const [row] = await query<ConversationRow>(
      this.app,
      `select c.id, c.status, c.bot_state as "botState", c.bot_expires_at as "botExpiresAt"
       from conversation c join contact ct on ct.id = c.contact_id where ct.wa_id = ? and c.channel_id = ?`,
      [this.waId, this.channel.id],
    );
    if (!row) throw new Error(`no conversation for ${this.waId}`);
    return row;
  }

  /** The BOT entries of the conversation log, oldest first. */
  async botEvents(): Promise<BotEvent[]> {
    const { id } = await this.conversation();
    const rows = await query<{ data: BotEvent }>(this.app, `select data from conversation_event where conversation_id = ? and type = 'BOT' order by id`, [id]);
    return rows.map((row) => row.data);
  }

  private lastReplyWamid(): string {
    const last = this.fake.sentMessages(this.channel.phoneNumberId).filter((r) => (r.body as { to?: string }).to === `+${this.waId}`).at(-1);
    return last?.wamid ?? wamid();
  }
}

/** A compact trace of bot events: `entered:welcome`, `set:size=large`, `handoff:agent`, `ended:bye`... */
export function trace(events: BotEvent[]): string[] {
  return events.map((event) => {
    switch (event.type) {
      case 'node_entered':
        return `entered:${event.nodeId}`;
      case 'variable_set':
        return `set:${event.name}=${String(event.value)}`;
      case 'validation_failed':
        return `invalid:${event.nodeId}`;
      case 'retried':
        return `retried:${event.nodeId}`;
      case 'handoff':
        return `handoff:${event.nodeId}(${event.reason})`;
      case 'ended':
        return `ended:${event.nodeId}`;
      default:
        return event.type;
    }
  });
}
