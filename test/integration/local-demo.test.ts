import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGraphApi } from '../../src/devtools/fake-graph';
import { systemEm } from '../../src/db/entity-manager';
import { DEMO_ORGANIZATION_ID, seedDemo } from '../../src/db/seeders/demo.seeder';
import { Channel } from '../../src/entities/channel.entity';
import { Flow } from '../../src/entities/flow.entity';
import { startChildApp, type ChildApp } from '../helpers/child-app';
import { createTestDatabase } from '../helpers/database';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_SECRETS } from '../helpers/test-env';
import { waitFor } from '../helpers/wait';

/**
 * `npm start`'s local mode as a new user meets it: the real app in a child process with
 * LOCAL_MODE=1 seeds the demo (again and again, without duplicates) and, unless META_GRAPH_URL is
 * set, runs a fake Graph API; `npm run chat`, another child process, then talks to the sample flow.
 * LOCAL_STATE_DIR points both at a temporary folder, so the developer's .local/ is never touched.
 */

const ROOT = path.resolve(__dirname, '../..');
const WAIT_MS = 20_000;

/** What the test reads of `<state dir>/demo.json`. */
interface DemoFile {
  apiKey: string;
  password: string;
  url: string;
  fakeGraphUrl: string | null;
}

async function demoReady(app: ChildApp): Promise<void> {
  await waitFor(
    () => {
      if (app.process.exitCode !== null) throw new Error(`the app exited during the demo seed:\n${app.stderr()}`);
      return app.logs.some((line) => line.msg === 'local demo ready');
    },
    { timeoutMs: WAIT_MS, what: 'the "local demo ready" log line' },
  );
}

async function graphql(demo: DemoFile, query: string): Promise<any> {
  const response = await fetch(`${demo.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.apiKey}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** `npm run chat` as a child process: lines go to its stdin, its stdout is read in order. */
interface Chat {
  process: ChildProcess;
  /** Waits until the output after the previous match contains `text`. */
  expect(text: string): Promise<void>;
  type(line: string): void;
  output(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function startChat(env: Record<string, string>, args: string[] = []): Chat {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SWC_NODE_PROJECT: './tsconfig.build.json', ...env };
  // The chat must find the service and the secret on its own, the way `npm start` leaves them.
  for (const name of ['PORT', 'META_APP_SECRET'] as const) if (!(name in env)) delete childEnv[name];
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/devtools/chat/chat.cli.ts', ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let seen = 0;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    process: child,
    async expect(text) {
      seen = await waitFor(
        () => {
          const index = stdout.indexOf(text, seen);
          if (index >= 0) return index + text.length;
          if (child.exitCode !== null) throw new Error(`The chat exited (${child.exitCode}) before printing ${JSON.stringify(text)}`);
          return 0;
        },
        { timeoutMs: WAIT_MS, what: `the chat to print ${JSON.stringify(text)}` },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- chat stdout after the last match:\n${stdout.slice(seen)}\n--- stderr:\n${stderr}`);
      });
    },
    type(line) {
      child.stdin!.write(`${line}\n`);
    },
    output: () => stdout,
    stderr: () => stderr,
    exited,
  };
}

describe('local mode and npm run chat', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'wa-local-demo-'));
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const apps: ChildApp[] = [];
  const chats: Chat[] = [];
  let demo: DemoFile;
  let chat: Chat;

  const readDemo = () => JSON.parse(readFileSync(path.join(stateDir, 'demo.json'), 'utf8')) as DemoFile;
  /** Both starts share one database, as two runs of `npm start` share .local/pg. */
  const startLocal = async (env: Record<string, string> = {}) => {
    const app = await startChildApp({ LOCAL_MODE: '1', LOCAL_STATE_DIR: stateDir, DATABASE_URL: database.url, META_GRAPH_URL: '', ...env });
    apps.push(app);
    await demoReady(app);
    return app;
  };
  const chatWith = (env: Record<string, string> = {}, args: string[] = []) => {
    const started = startChat({ LOCAL_STATE_DIR: stateDir, ...env }, args);
    chats.push(started);
    return started;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // The line scripts/start.sh writes: the chat reads the webhook secret from here.
    writeFileSync(path.join(stateDir, 'dev.env'), `export META_APP_SECRET="\${META_APP_SECRET:-${TEST_SECRETS.META_APP_SECRET}}"\n`);
  });

  afterAll(async () => {
    for (const started of chats) if (started.process.exitCode === null) started.process.kill('SIGKILL');
    for (const app of apps) await app.stop();
    await database?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('with META_GRAPH_URL set, seeds the demo but starts no fake Graph API, and the chat says why it cannot run', async () => {
    const app = await startLocal({ META_GRAPH_URL: 'http://127.0.0.1:9/v25.0' });
    expect(readDemo()).toMatchObject({ apiKey: expect.stringMatching(/^wak_/), password: expect.any(String), fakeGraphUrl: null });

    const refused = chatWith();
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain('runs without its fake Graph API (META_GRAPH_URL is set)');

    app.process.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
  }, 90_000);

  it('starting again (now with the fake Graph API) adds nothing: one channel, one flow with one version, one template', async () => {
    const firstRun = readDemo();
    await startLocal();
    demo = readDemo();
    // The key and password are stored hashed: the file keeps the ones the first start showed.
    expect(demo).toMatchObject({ apiKey: firstRun.apiKey, password: firstRun.password, fakeGraphUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });

    const data = await graphql(
      demo,
      `{ channels(first: 10) { totalCount edges { node { phoneNumberId displayPhoneNumber defaultFlow { name publishedVersion } } } }
         flows(first: 10) { totalCount edges { node { name versions { version } } } }
         templates(first: 10) { totalCount edges { node { name language status } } } }`,
    );
    expect(data.channels.totalCount).toBe(1);
    expect(data.channels.edges[0].node).toEqual({
      phoneNumberId: '100000000000001',
      displayPhoneNumber: '+1 555 010 0001',
      defaultFlow: { name: 'Sample flow', publishedVersion: 1 },
    });
    expect(data.flows.totalCount).toBe(1);
    expect(data.flows.edges[0].node.versions).toEqual([{ version: 1 }]);
    expect(data.templates.edges.map((edge: any) => edge.node)).toEqual([{ name: 'welcome_back', language: 'en', status: 'APPROVED' }]);
  }, 90_000);

  it('chats through the sample flow: buttons picked by number, questions answered, a template rendered', async () => {
    chat = chatWith();
    await chat.expect('You are Demo Customer (+15550001111)');

    chat.type('hi');
    await chat.expect('bot: Hi Demo Customer! How can we help?\n     1) Sales  2) Support  3) Order status\n');

    chat.type('1');
    await chat.expect('(picked Sales)');
    await chat.expect('bot: Great! What is your name?\n');

    chat.type('Ana');
    await chat.expect('bot: Thanks Ana. What is your email?\n');

    chat.type('ana@bigco.com');
    await chat.expect('bot: How many people on your team will use it?\n');

    // No choices are on offer now, so a number is an answer, not a pick.
    chat.type('12');
    await chat.expect('bot: [template welcome_back] Hi Ana, welcome back!\n');
    await chat.expect('bot: Connecting you to a person...\n');
  }, 60_000);

  it('sends a picked number as the tap WhatsApp would: an interactive reply with the option id, quoting the message', async () => {
    const data = await graphql(demo, '{ messages(filter: { direction: IN }, first: 20) { edges { node { type text payload replyToWamid } } } }');
    const tap = data.messages.edges.map((edge: any) => edge.node).find((message: any) => message.type === 'INTERACTIVE');
    expect(tap).toMatchObject({
      text: 'Sales',
      replyToWamid: expect.stringMatching(/^wamid\./),
      payload: { from: '15550001111', interactive: { type: 'button_reply', button_reply: { id: 'sales', title: 'Sales' } } },
    });
  });

  // Each scenario below is another customer: the app paces sends to one customer as Meta's pair
  // limit requires (a burst of 6, then one every 6 s), and each stays within the burst.
  it('shows a list as numbered rows and picks a row by number; /quit leaves', async () => {
    chat.type('/quit');
    expect(await chat.exited).toBe(0);
    expect(chat.output()).toMatch(/bye\n$/);

    const bo = chatWith({}, ['--from', '15550002222', '--name', 'Bo']);
    await bo.expect('You are Bo (+15550002222)');
    bo.type('hi');
    await bo.expect('1) Sales  2) Support  3) Order status\n');
    // A typed title picks a button too.
    bo.type('support');
    await bo.expect(
      'bot: What do you need help with?\n     [Topics]\n     Account:\n     1) Plans and billing - Prices, invoices, upgrades\n     2) Call me back - A person calls you\n' +
        '     Technical:\n     3) An existing ticket\n     4) Something else\n',
    );
    bo.type('1');
    await bo.expect('(picked Plans and billing)');
    await bo.expect('bot: Which plan are you on: Basic, Pro or Enterprise?\n');
    bo.type('pro');
    await bo.expect('bot: The Pro plan is billed monthly; you can change it at any time.\n');
    await bo.expect('bot: Anything else?\n     1) Main menu  2) No, thanks\n');
    bo.type('/quit');
    expect(await bo.exited).toBe(0);
  }, 60_000);

  it('shows media as its kind and caption; Ctrl-C leaves cleanly', async () => {
    const cy = chatWith({}, ['--from', '15550003333', '--name', 'Cy']);
    await cy.expect('You are Cy (+15550003333)');
    cy.type('hi');
    await cy.expect('1) Sales  2) Support  3) Order status\n');
    cy.type('1');
    await cy.expect('bot: Great! What is your name?\n');
    cy.type('Cy');
    await cy.expect('What is your email?\n');
    cy.type('cy@example.org');
    await cy.expect('How many people on your team will use it?\n');
    cy.type('3');
    await cy.expect('bot: [image] Thanks Cy, here is our product tour.\n');
    await cy.expect('bot: Thanks, we will write to cy@example.org soon.\n');

    cy.process.kill('SIGINT');
    expect(await cy.exited).toBe(0);
    expect(cy.output()).toMatch(/bye\n$/);
    expect(cy.stderr()).toBe('');
  }, 60_000);

  it('stops on Ctrl-C with its fake Graph API (exit 0); the chat then says to start the service, and exits 1', async () => {
    const app = apps.at(-1)!;
    app.process.kill('SIGINT');
    expect((await app.exited).code).toBe(0);

    const down = chatWith();
    expect(await down.exited).toBe(1);
    expect(down.stderr()).toContain(`The local service is not running: nothing answers at ${demo.url}. Please start it with npm start`);
    expect(down.output()).toBe('');
  }, 30_000);
});

describe("the fake Graph API's sent feed (what the chat polls)", () => {
  let fake: FakeGraphApi;
  beforeAll(async () => {
    fake = await FakeGraphApi.start();
  });
  afterAll(() => fake.close());

  const send = (number: string, to: string, body: string) =>
    fetch(`${fake.url}/v25.0/${number}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer token' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to, type: 'text', text: { body } }),
    });
  const feed = async (query: string) => {
    const response = await fetch(`${fake.url}/_fake/sent?${query}`);
    return { status: response.status, body: (await response.json()) as any };
  };

  it('lists accepted sends to one recipient after a cursor, and is not itself recorded', async () => {
    await send('111', '+15550001111', 'one');
    await send('111', '+15550002222', 'someone else');
    await send('222', '+15550001111', 'another number');
    await send('111', '15550001111', 'two');
    const recorded = fake.requests.length;

    const all = await feed('phoneNumberId=111&to=15550001111');
    expect(all.status).toBe(200);
    expect(all.body.last).toBe(4);
    expect(all.body.sends.map((s: any) => [s.seq, s.body.text.body, s.wamid.startsWith('wamid.')])).toEqual([
      [1, 'one', true],
      [4, 'two', true],
    ]);
    expect((await feed('phoneNumberId=111&to=15550001111&after=1')).body.sends.map((s: any) => s.body.text.body)).toEqual(['two']);
    expect((await feed('phoneNumberId=111&to=15550001111&after=4')).body).toEqual({ last: 4, sends: [] });
    expect(fake.requests).toHaveLength(recorded);
  });

  it('refuses a bad cursor, writes and unknown control routes', async () => {
    expect((await feed('after=-1')).status).toBe(400);
    expect((await fetch(`${fake.url}/_fake/sent`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${fake.url}/_fake/reset`)).status).toBe(404);
  });
});

describe('the demo seed, run again after the user changed things', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const seed = () => seedDemo(app.orm, { issueKey: false, secrets: app.deps.secrets });

  it("adds no second sample flow once the first was renamed, and keeps the number's default flow", async () => {
    const first = await seed();
    const em = systemEm(app.orm);
    await em.nativeUpdate(Flow, { id: first.flow!.id }, { name: 'Our support bot' });

    const again = await seed();
    expect(again.flow).toBeNull();
    expect(await em.count(Flow, { organization: DEMO_ORGANIZATION_ID })).toBe(1);
    const channel = await em.findOneOrFail(Channel, { id: first.channel.id });
    expect(channel.defaultFlow?.id).toBe(first.flow!.id);
  });
});
