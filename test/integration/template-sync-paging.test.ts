import { randomUUID } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gql } from 'graphql-request';
import { systemEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { channelInput, createOrganization } from '../helpers/fixtures';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * A template sync against a Graph API whose paging never ends: reconciling marks every template
 * Meta did not list as DELETED, so an incomplete listing must change nothing.
 */

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id wabaId } } }
`;
const SYNC_TEMPLATES = gql`
  mutation ($input: SyncTemplatesInput!) { syncTemplates(input: $input) { queued } }
`;

/** Answers every template listing with one template and a next page: the same cursor, or always a new one. */
async function loopingGraph(cursor: 'same' | 'new'): Promise<{ server: Server; url: string; pages: () => number }> {
  let pages = 0;
  const server = http.createServer((req, res) => {
    pages += 1;
    const after = cursor === 'same' ? 'QVFIUloop' : `QVFIU${pages}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        data: [{ id: '1400000000000001', name: 'order_update', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [] }],
        paging: { cursors: { before: 'QVFIUstart', after }, next: `http://${req.headers.host}${req.url}&after=${after}` },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v25.0`, pages: () => pages };
}

describe.each(['same', 'new'] as const)('a template sync whose paging never ends (%s cursor each page)', (cursor) => {
  let app: TestApp;
  let graph: Awaited<ReturnType<typeof loopingGraph>>;

  beforeAll(async () => {
    graph = await loopingGraph(cursor);
    app = await startTestApp({ META_GRAPH_URL: graph.url });
  });
  afterAll(async () => {
    await app?.stop();
    graph?.server.closeAllConnections();
    await new Promise((resolve) => graph?.server.close(resolve));
  });

  it('fails with the reason and marks nothing DELETED', async () => {
    const org = await createOrganization(app, 'Paging loop');
    const client = app.client(org.ownerKey);
    const channel = (await client.request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;
    const kept = randomUUID();
    await sql(
      systemEm(app.orm),
      `insert into template (id, created_at, updated_at, organization_id, waba_id, meta_template_id, name, language, category, status)
       values (?, now(), now(), ?, ?, '1400000000000999', 'welcome', 'en_US', 'MARKETING', 'APPROVED')`,
      [kept, org.id, channel.wabaId],
    );

    await client.request(SYNC_TEMPLATES, { input: { channelId: channel.id } });
    const reason = await waitFor(
      async () => {
        const jobs = await app.queues.get('outbound').getJobs(['failed', 'delayed', 'waiting', 'active']);
        return jobs.find((job) => job.name === 'sync-templates' && job.data.channelId === channel.id && job.failedReason)?.failedReason;
      },
      { what: 'the sync to fail', timeoutMs: 20_000 },
    );
    // A failed attempt is one that ended: it asked for two pages (a repeated cursor) or a hundred.
    expect(reason).toContain(cursor === 'same' ? 'a page cursor it had returned before' : 'more than 100 pages');
    expect(graph.pages()).toBeGreaterThanOrEqual(cursor === 'same' ? 2 : 100);

    const rows = await sql<{ meta_template_id: string; status: string }>(
      systemEm(app.orm),
      'select meta_template_id, status from template where organization_id = ? order by meta_template_id',
      [org.id],
    );
    expect(rows).toEqual([{ meta_template_id: '1400000000000999', status: 'APPROVED' }]);
  });
});
