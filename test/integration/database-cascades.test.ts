import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { deliver, fromCustomer, message, rows } from '../helpers/meta-payloads';
import type { ChannelRef } from '../helpers/meta-webhook';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

/**
 * Messages and conversation events have no foreign key of their own to their organization or (for
 * messages) channel: the conversation's keys cover them (Migration20261123000000DropRedundantForeignKeys).
 * Deleting an organization or a channel must still remove every row of theirs, and nobody else's.
 */
describe('database cascades', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  async function organizationWithMessages(name: string): Promise<{ org: TestOrganization; channels: (ChannelRef & { id: string })[] }> {
    const org = await createOrganization(app, name);
    const channels = [];
    for (let i = 0; i < 2; i++) {
      const { createChannel } = await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() });
      channels.push(createChannel.channel);
      await deliver(app, fromCustomer(channels[i], { waId: `551198765${i}000`, name: 'Ana' }, message.text(`551198765${i}000`, `hello ${name} ${i}`)));
    }
    return { org, channels };
  }

  const count = async (table: string, column: string, id: string) =>
    Number((await rows<{ n: string }>(app, `select count(*) as n from ${table} where ${column} = ?`, [id]))[0]!.n);

  it("deleting a channel removes its conversations' messages and events, and no other channel's", async () => {
    const { org, channels } = await organizationWithMessages('Channel owner');
    const [gone, kept] = [channels[0]!, channels[1]!];
    expect(await count('message', 'channel_id', gone.id)).toBe(1);
    const [conversation] = await rows<{ id: string }>(app, 'select id from conversation where channel_id = ?', [gone.id]);
    expect(await count('conversation_event', 'conversation_id', conversation!.id)).toBeGreaterThan(0);

    await rows(app, 'delete from channel where id = ?', [gone.id]);

    expect(await count('message', 'channel_id', gone.id)).toBe(0);
    expect(await count('conversation_event', 'conversation_id', conversation!.id)).toBe(0);
    expect(await count('message', 'channel_id', kept.id)).toBe(1);
    expect(await count('conversation_event', 'organization_id', org.id)).toBeGreaterThan(0);
  });

  it("deleting an organization removes its messages and events, and no other organization's", async () => {
    const doomed = await organizationWithMessages('Doomed');
    const other = await organizationWithMessages('Other');
    expect(await count('conversation_event', 'organization_id', doomed.org.id)).toBeGreaterThan(0);

    await rows(app, 'delete from organization where id = ?', [doomed.org.id]);

    expect(await count('message', 'organization_id', doomed.org.id)).toBe(0);
    expect(await count('conversation_event', 'organization_id', doomed.org.id)).toBe(0);
    expect(await count('message', 'organization_id', other.org.id)).toBe(2);
    expect(await count('conversation_event', 'organization_id', other.org.id)).toBeGreaterThan(0);
  });
});
