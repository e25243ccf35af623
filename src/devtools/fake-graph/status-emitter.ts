import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import { signBody } from '../../meta/webhook-signature';

/** One webhook the fake posted: the exact bytes, and our endpoint's answer (0 when unreachable). */
export interface EmittedWebhook {
  at: Date;
  raw: string;
  status: number;
}

const TIMEOUT_MS = 10_000;

/**
 * Posts webhooks to our `/webhooks/meta` as Meta does: `application/json`, signed with
 * `X-Hub-Signature-256` over the exact raw bytes. It never retries (Meta does, for days; a test
 * calls again when it wants that) and never throws for an unreachable endpoint: it counts the
 * failure. It also runs the delayed status sequences, and close() cancels them and aborts posts.
 */
export class StatusEmitter {
  webhookUrl: string | undefined;
  /** Posts that got no answer or an answer other than 200 (Meta counts those as failed deliveries). */
  failures = 0;
  readonly emitted: EmittedWebhook[] = [];
  private readonly inflight = new Set<ClientRequest>();
  /** Pending sleeps of running sequences, with what wakes them early on cancel(). */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  /** Bumped by cancel(): sequences started before it stop at their next step. */
  private generation = 0;
  private closed = false;

  constructor(
    webhookUrl: string | undefined,
    private readonly appSecret: string | undefined,
    private readonly maxEmitted: number,
  ) {
    this.webhookUrl = webhookUrl;
  }

  /** Posts one body; resolves with the HTTP status, or 0 when the endpoint could not be reached. */
  post(raw: string): Promise<number> {
    const target = this.webhookUrl;
    if (!target) return Promise.reject(new Error('fake Graph API: no webhookUrl to send webhooks to'));
    if (this.closed) return Promise.reject(new Error('fake Graph API: closed'));
    const url = new URL(target);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(raw)),
      'user-agent': 'facebookexternalua',
    };
    if (this.appSecret) headers['x-hub-signature-256'] = signBody(raw, this.appSecret);
    const secure = url.protocol === 'https:';
    return new Promise<number>((resolve) => {
      const request = (secure ? https : http).request(url, { method: 'POST', headers, agent: secure ? this.agents.https : this.agents.http, timeout: TIMEOUT_MS });
      this.inflight.add(request);
      let settled = false;
      const done = (status: number) => {
        if (settled) return;
        settled = true;
        this.inflight.delete(request);
        if (status !== 200) this.failures++;
        this.emitted.push({ at: new Date(), raw, status });
        if (this.emitted.length > this.maxEmitted) this.emitted.shift();
        resolve(status);
      };
      request.on('response', (response) => {
        response.resume();
        done(response.statusCode ?? 0);
      });
      request.on('timeout', () => request.destroy(new Error('webhook timed out')));
      request.on('error', () => done(0));
      request.end(raw);
    });
  }

  /** Runs `steps` one after another, each `delayMs` after the previous one ended; cancel() stops it. */
  sequence(delayMs: number, steps: (() => Promise<unknown>)[]): void {
    const generation = this.generation;
    const run = async () => {
      for (const step of steps) {
        await this.sleep(delayMs);
        if (this.closed || generation !== this.generation) return;
        await step().catch(() => undefined);
      }
    };
    void run();
  }

  /** Cancels every pending sequence; posts already on the wire complete. */
  cancel(): void {
    this.generation++;
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
  }

  close(): void {
    this.closed = true;
    this.cancel();
    for (const request of this.inflight) request.destroy();
    this.inflight.clear();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }
}
