import { randomInt } from 'node:crypto';
import { gql } from 'graphql-request';
import type { Job } from 'bullmq';
import { systemEm } from '../../src/db/entity-manager';
import { Organization } from '../../src/entities/organization.entity';
import { Template } from '../../src/entities/template.entity';
import type { FakeGraphApi, RecordedRequest } from '../../src/devtools/fake-graph';
import { startChildApp, type ChildApp } from './child-app';
import { channelInput } from './fixtures';
import { postWebhook, textMessage, wamid, type ChannelRef } from './meta-webhook';
import type { TestApp } from './test-app';
import { databaseUrl } from './test-env';
import { waitFor } from './wait';

/**
 * Shared setup of the send-pipeline tests: a channel the fake Graph API knows, customers whose
 * 24-hour window was opened by a real inbound webhook, APPROVED templates seeded as if synced from
 * Meta, and read-outs of what was stored, queued and received by the fake.
 */

export const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;
export const UPDATE_CHANNEL = gql`
  mutation ($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id throughputPerSecond } } }
`;
export const SEND_MESSAGE = gql`
  mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id status direction type text } } }
`;
export const SEND_TEMPLATE = gql`
  mutation ($input: SendTemplateInput!) { sendTemplate(input: $input) { message { id status direction type text conversation { id } } } }
`;

export type TestChannel = ChannelRef & { id: string };

/** A channel of the organization whose number the fake Graph API reports in its webhooks. */
export async function createChannel(app: TestApp, fake: FakeGraphApi, credential: string, overrides: Record<string, unknown> = {}): Promise<TestChannel> {
  const result = await app.client(credential).request<any>(CREATE_CHANNEL, { input: channelInput(overrides) });
  const channel = result.createChannel.channel as TestChannel;
  fake.registerNumber(channel.phoneNumberId, { wabaId: channel.wabaId, displayPhoneNumber: channel.displayPhoneNumber });
  return channel;
}

/** A WhatsApp number no other test uses: Brazilian mobile digits, country code first. */
export const newCustomerNumber = () => `55119${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

export interface Customer {
  waId: string;
  conversationId: string;
  /** The wamid of the customer's message that opened the window (what a reply quotes). */
  inboundWamid: string;
}

/** A customer who just wrote to the channel: the webhook is ingested by whichever worker runs, and the window is open. */
export async function customerWrites(app: TestApp, channel: ChannelRef, waId = newCustomerNumber(), text = 'Hello, I have a question'): Promise<Customer> {
  const inboundWamid = wamid();
  const answer = await postWebhook(app.url, textMessage(channel, waId, text, { id: inboundWamid }));
  if (answer.status !== 200) throw new Error(`webhook refused: ${answer.status} ${answer.text}`);
  const conversationId = await waitForValue(
    async () => {
      const [row] = await query<{ conversation_id: string }>(app, `select conversation_id from message where wamid = ?`, [inboundWamid]);
      return row?.conversation_id;
    },
    { what: `the conversation opened by ${waId}`, timeoutMs: 20_000 },
  );
  return { waId, conversationId, inboundWamid };
}

export interface TemplateSeed {
  organizationId: string;
  wabaId: string;
  name: string;
  language?: string;
  category?: string;
  status?: string;
  components: unknown[];
}

/** A template row as a sync from Meta stores it (APPROVED unless told otherwise); returns its id. */
export async function seedTemplate(app: TestApp, seed: TemplateSeed): Promise<string> {
  const em = systemEm(app.orm);
  const template = em.create(Template, {
    organization: em.getReference(Organization, seed.organizationId),
    wabaId: seed.wabaId,
    metaTemplateId: String(randomInt(1, 2 ** 47)),
    name: seed.name,
    language: seed.language ?? 'en_US',
    category: seed.category ?? 'UTILITY',
    status: seed.status ?? 'APPROVED',
    components: seed.components,
  });
  await em.flush();
  return template.id;
}

/** `waitFor` for a value: resolves with the first one that is not null, undefined or false. */
export const waitForValue = <T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, options: Parameters<typeof waitFor>[1] = {}) =>
  waitFor(check, options) as Promise<T>;

/** Runs SQL on the app's database (tests read and arrange rows directly). */
export async function query<Row = Record<string, unknown>>(app: TestApp, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await app.orm.em.fork().getConnection().execute(sql, params as never[], 'all')) as Row[];
}

export interface StoredMessage {
  id: string;
  status: string;
  wamid: string | null;
  errorCode: string | null;
  errorTitle: string | null;
  sendState: string | null;
  sendAttempts: number;
  conversationId: string;
}

export async function storedMessage(app: TestApp, id: string): Promise<StoredMessage> {
  const [row] = await query<StoredMessage>(
    app,
    `select id, status, wamid, error_code as "errorCode", error_title as "errorTitle", send_state as "sendState",
       send_attempts as "sendAttempts", conversation_id as "conversationId" from message where id = ?`,
    [id],
  );
  if (!row) throw new Error(`message ${id} is not stored`);
  return row;
}

/** Polls the stored message until `done` holds; the error names `what` and shows the last row. */
export function waitForMessage(app: TestApp, id: string, done: (message: StoredMessage) => boolean, what: string, timeoutMs = 20_000) {
  return waitForValue(
    async () => {
      const message = await storedMessage(app, id);
      return done(message) ? message : null;
    },
    { what, timeoutMs, intervalMs: 100 },
  );
}

export const isSent = (message: StoredMessage) => message.wamid !== null && ['SENT', 'DELIVERED', 'READ'].includes(message.status);

/** Outbound message rows of the whole database: hostile input must not add any. */
export async function outboundCount(app: TestApp): Promise<number> {
  const [row] = await query<{ count: string }>(app, `select count(*) from message where direction = 'OUT'`);
  return Number(row!.count);
}

/** Every send request the fake received for this message (accepted or refused), in arrival order. */
export const requestsFor = (fake: FakeGraphApi, messageId: string): RecordedRequest[] =>
  fake.requests.filter((r) => r.kind === 'send' && (r.body as { biz_opaque_callback_data?: string })?.biz_opaque_callback_data === messageId);

/** The sends the fake accepted for this message. */
export const acceptedFor = (fake: FakeGraphApi, messageId: string): RecordedRequest[] => requestsFor(fake, messageId).filter((r) => r.wamid !== undefined);

/** The message's send job (its id is derived from the message id). */
export async function sendJob(app: TestApp, messageId: string): Promise<Job> {
  const job = await app.queues.get('outbound').getJob(`send-${messageId}`);
  if (!job) throw new Error(`no send job for message ${messageId}`);
  return job;
}

/**
 * The send job if it is in `state`, else null. The job is read after its state, so its fields
 * (returnvalue, attemptsMade, delay) are never those of an earlier state.
 */
export async function sendJobIn(app: TestApp, messageId: string, state: 'delayed' | 'completed' | 'failed'): Promise<Job | null> {
  const queue = app.queues.get('outbound');
  if ((await queue.getJobState(`send-${messageId}`)) !== state) return null;
  return (await queue.getJob(`send-${messageId}`)) ?? null;
}

/**
 * A worker process (ROLE=worker) sharing the app's database and Redis prefix, sending to the same
 * Graph API. It also drains the webhook queue, so ingestion and reconciliation happen there too.
 */
export function startWorkerProcess(app: TestApp, env: Record<string, string> = {}): Promise<ChildApp> {
  return startChildApp({
    ROLE: 'worker',
    DATABASE_URL: databaseUrl(app.databaseName),
    REDIS_PREFIX: app.config.redis.prefix,
    META_GRAPH_URL: app.config.meta.graphUrl,
    ...env,
  });
}
