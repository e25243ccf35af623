import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Response } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_SECRETS } from '../helpers/test-env';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const RENDER_TIMEOUT_MS = 15_000;

describe('the job board in a browser', () => {
  let browser: Browser | undefined;
  let app: TestApp | undefined;
  let shots: string | undefined;
  let boardUrl: string;

  beforeAll(async () => {
    // Failing, not skipping: a run that silently drops the browser check would look green.
    if (process.env.CHROMIUM_UNAVAILABLE === '1') {
      throw new Error('CHROMIUM_UNAVAILABLE=1: the job board cannot be checked without Chromium; install it (apt-get install chromium) and run again');
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    app = await startTestApp();
    boardUrl = `${app.url}/admin/queues`;
    shots = await mkdtemp(path.join(tmpdir(), 'board-'));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (shots) await rm(shots, { recursive: true, force: true });
  });

  /** Opens the board in a fresh browser context; gives the HTTP answer and the page it left. */
  async function openBoard(options: BrowserContextOptions) {
    const context = await browser!.newContext(options);
    const page = await context.newPage();
    const answered = page.waitForResponse(boardUrl);
    // With no credentials at all Chromium cancels the Basic challenge and goto rejects, although
    // the 401 did arrive; with credentials it resolves with the server's answer.
    const navigation = await page.goto(boardUrl).catch((error: Error) => error);
    if (navigation instanceof Error && !navigation.message.includes('ERR_INVALID_AUTH_CREDENTIALS')) throw navigation;
    const response: Response = navigation instanceof Error ? await answered : navigation!;
    return { context, page, response };
  }

  it('lists the queues for the operator, with HTTP Basic user admin and ADMIN_TOKEN', async () => {
    const { context, page, response } = await openBoard({ httpCredentials: { username: 'admin', password: TEST_SECRETS.ADMIN_TOKEN } });
    try {
      expect(response.status()).toBe(200);
      for (const queue of ['system', 'maintenance']) {
        await page.getByRole('link', { name: queue, exact: true }).first().waitFor({ timeout: RENDER_TIMEOUT_MS });
      }

      const file = path.join(shots!, 'board.png');
      await page.screenshot({ path: file, fullPage: true });
      const png = await readFile(file);
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      // IHDR: width and height right after the signature and chunk header.
      expect(png.readUInt32BE(16)).toBeGreaterThan(0);
      expect(png.readUInt32BE(20)).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  it.each([
    ['no credentials', {}],
    ['a wrong password', { httpCredentials: { username: 'admin', password: `${TEST_SECRETS.ADMIN_TOKEN}-wrong` } }],
    ['a wrong user', { httpCredentials: { username: 'root', password: TEST_SECRETS.ADMIN_TOKEN } }],
  ] as [string, BrowserContextOptions][])('answers 401 and shows no queue with %s', async (_case, options) => {
    const { context, page, response } = await openBoard(options);
    try {
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(/^Basic realm=/);
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/\bsystem\b|\bmaintenance\b/);
      expect(await page.getByRole('link').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
