import { gql } from 'graphql-request';
import { Client } from 'pg';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization } from '../helpers/fixtures';
import { databaseUrl } from '../helpers/test-env';
import { deliver, fromCustomer, message, rows } from '../helpers/meta-payloads';
import type { ChannelRef } from '../helpers/meta-webhook';
import { LOAD_OUTGOING_SQL } from '../../src/services/outbound/send-statements';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

interface PlanNode {
  'Relation Name'?: string;
  'Parent Relationship'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows of `message` that the plan's subplans read (returned or filtered out), over all their loops. */
function messageRowsReadInSubplans(node: PlanNode, inSubplan = false): number {
  const here = inSubplan || node['Parent Relationship'] === 'SubPlan';
  let read = 0;
  if (here && node['Relation Name'] === 'message') {
    const loops = node['Actual Loops'] ?? 1;
    read += ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops;
  }
  for (const child of node.Plans ?? []) read += messageRowsReadInSubplans(child, here);
  return read;
}

/**
 * Before a send, the message is read with whether an earlier message of its conversation is still
 * QUEUED. That look stays within the conversation however long the queue is, even when the
 * statistics PostgreSQL plans with were taken while the queue was empty (the usual case: QUEUED
 * messages come and go between two ANALYZEs), and with the generic plan a prepared statement ends
 * up with.
 */
describe('the send queue, when a backlog builds up', () => {
  let app: TestApp;
  let db: Client;
  let waiting: { first: string; second: string };
  const BACKLOG = 3000;
  /** Ana's two messages as the statement's array literal (EXECUTE takes no bind parameters; these are uuids we made). */
  const idList = () => `'{${waiting.first},${waiting.second}}'`;

  beforeAll(async () => {
    app = await startTestApp();
    const org = await createOrganization(app);
    const channel: ChannelRef & { id: string } = (await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;
    const ana = { waId: '5511987650101', name: 'Ana' };
    const bruno = { waId: '5511987650102', name: 'Bruno' };
    await deliver(app, fromCustomer(channel, ana, message.text(ana.waId, 'hello')));
    await deliver(app, fromCustomer(channel, bruno, message.text(bruno.waId, 'hi')));
    const conversationOf = async (waId: string) =>
      (await rows<{ id: string }>(app, 'select cv.id from conversation cv join contact ct on ct.id = cv.contact_id where ct.wa_id = ?', [waId]))[0]!.id;
    const [anaConversation, brunoConversation] = [await conversationOf(ana.waId), await conversationOf(bruno.waId)];

    // Statistics of a quiet moment: no message QUEUED.
    await rows(app, 'analyze message');
    const queue = (conversationId: string, count: number) =>
      rows<{ id: string }>(
        app,
        `insert into message (id, created_at, updated_at, organization_id, conversation_id, channel_id, direction, type, text, payload, status, send_state)
         select gen_random_uuid(), now(), now(), cv.organization_id, cv.id, cv.channel_id, 'OUT', 'TEXT', 'reply ' || n,
           '{"messaging_product":"whatsapp"}'::jsonb, 'QUEUED', 'PENDING'
         from conversation cv, generate_series(1, ?) as n where cv.id = ? order by n returning id`,
        [count, conversationId],
      );
    // Bruno's replies pile up (a throttled channel, a broadcast); Ana has two waiting, in order.
    await queue(brunoConversation, BACKLOG);
    const [first, second] = await queue(anaConversation, 2);
    waiting = { first: first!.id, second: second!.id };

    db = new Client({ connectionString: databaseUrl(app.databaseName) });
    await db.connect();
    await db.query('set plan_cache_mode = force_generic_plan');
    await db.query(`prepare load_outgoing(text) as ${LOAD_OUTGOING_SQL.replace('?', '$1')}`);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('tells which message waits for an earlier one of its conversation', async () => {
    const { rows: loaded } = await db.query<{ id: string; earlier_queued: boolean }>(`execute load_outgoing(${idList()})`);
    expect(Object.fromEntries(loaded.map((row) => [row.id, row.earlier_queued]))).toEqual({ [waiting.first]: false, [waiting.second]: true });
  });

  it("reads only the message's own conversation of the queue, not the other conversations' backlog", async () => {
    const { rows: explained } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`explain (analyze, format json) execute load_outgoing(${idList()})`);
    const read = messageRowsReadInSubplans(explained[0]!['QUERY PLAN'][0].Plan);
    // At most her conversation's three messages (her greeting and two replies) for each of her two,
    // whichever index serves it: Bruno's thousands stay unread.
    expect(read).toBeLessThanOrEqual(6);
  });
});
