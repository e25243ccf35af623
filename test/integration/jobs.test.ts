import { randomBytes } from 'node:crypto';
import { gql } from 'graphql-request';
import { bootstrap } from '../../src/app/bootstrap';
import { systemEm } from '../../src/db/entity-manager';
import { Role } from '../../src/domain/role';
import { QUEUE_NAMES, SCHEDULES } from '../../src/jobs/queues';
import { Organization } from '../../src/entities/organization.entity';
import { User } from '../../src/entities/user.entity';
import { UserSession } from '../../src/entities/user-session.entity';
import { createOrganization, errorCodes } from '../helpers/fixtures';
import { captureLogs } from '../helpers/log-capture';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_SECRETS } from '../helpers/test-env';

const PROBE_WORKERS = gql`
  mutation ProbeWorkers($input: ProbeWorkersInput) {
    probeWorkers(input: $input) { jobId processedBy latencyMs }
  }
`;

const DAY_MS = 86_400_000;
const JOB_TIMEOUT_MS = 10_000;

/** The app's log lines, parsed. */
const parsedLogs = (app: TestApp) => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

async function until<T>(what: string, probe: () => T | undefined, deadlineMs = JOB_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('jobs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  describe('schedules', () => {
    it('registers each schedule, purge-expired-sessions included, once when two apps share Redis and the database', async () => {
      // A second process of the same deployment: same config, hence same prefix and database;
      // then both register again at the same moment, as a rolling restart would.
      const second = await bootstrap(app.config, { logger: captureLogs().log });
      try {
        await Promise.all([app.queues.registerSchedules(), second.queues.registerSchedules()]);
        for (const queues of [app.queues, second.queues]) {
          const schedulers = (await Promise.all(QUEUE_NAMES.map((name) => queues.get(name).getJobSchedulers()))).flat();
          expect(schedulers.map((scheduler) => scheduler.key).sort()).toEqual(SCHEDULES.map((schedule) => schedule.id).sort());
          expect(schedulers.find((scheduler) => scheduler.key === 'purge-expired-sessions')).toMatchObject({
            name: 'purge-expired-sessions',
            every: 3_600_000,
          });
        }
        // One scheduler also means one next run waiting, not one per process.
        const nextRuns = await app.queues.get('maintenance').getDelayed();
        expect(nextRuns.filter((job) => job.name === 'purge-expired-sessions')).toHaveLength(1);
      } finally {
        await second.close();
      }
    });
  });

  describe('purge-expired-sessions', () => {
    it('deletes sessions that ended more than 7 days ago and keeps recent ones', async () => {
      const em = systemEm(app.orm);
      const organization = em.create(Organization, { name: 'Purge Co' });
      const user = em.create(User, { organization, email: `purge-${randomBytes(4).toString('hex')}@example.com`, name: 'P', role: Role.AGENT });
      const now = Date.now();
      const session = (expiresInDays: number, revokedDaysAgo?: number) =>
        em.create(UserSession, {
          organization,
          user,
          refreshTokenHash: randomBytes(32).toString('hex'),
          expiresAt: new Date(now + expiresInDays * DAY_MS),
          revokedAt: revokedDaysAgo === undefined ? null : new Date(now - revokedDaysAgo * DAY_MS),
        });
      const sessions = {
        expiredLongAgo: session(-8),
        revokedLongAgo: session(20, 8),
        expiredRecently: session(-6),
        revokedRecently: session(20, 1),
        active: session(20),
      };
      await em.flush();

      const events = await app.queues.eventsOf('maintenance');
      const job = await app.queues.add('maintenance', 'purge-expired-sessions', {});
      const result = (await job.waitUntilFinished(events, JOB_TIMEOUT_MS)) as { deleted: number };

      expect(result).toEqual({ deleted: expect.any(Number) });
      const left = await systemEm(app.orm).find(UserSession, { user: user.id });
      const labelOf = (id: string) => Object.entries(sessions).find(([, s]) => s.id === id)![0];
      expect(left.map((s) => labelOf(s.id)).sort()).toEqual(['active', 'expiredRecently', 'revokedRecently']);
    });
  });

  describe('probeWorkers', () => {
    it('runs a probe job through a worker for the operator', async () => {
      const result = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<any>(PROBE_WORKERS, { input: { delayMs: 10 } });
      expect(result.probeWorkers).toEqual({
        jobId: expect.any(String),
        // api and workers share this jest process
        processedBy: expect.stringMatching(new RegExp(`:${process.pid}$`)),
        latencyMs: expect.any(Number),
      });
    });

    it('is FORBIDDEN for an organization OWNER and UNAUTHENTICATED anonymously', async () => {
      const org = await createOrganization(app, 'Probe Co');
      expect(await errorCodes(app.client(org.ownerKey).request(PROBE_WORKERS, { input: { delayMs: 0 } }))).toEqual(['FORBIDDEN']);
      expect(await errorCodes(app.client().request(PROBE_WORKERS, { input: { delayMs: 0 } }))).toEqual(['UNAUTHENTICATED']);
    });

    it('carries the X-Request-Id of the request into the job logs', async () => {
      const response = await app.post(
        { query: 'mutation { probeWorkers(input: { delayMs: 0 }) { jobId } }' },
        { authorization: `Bearer ${TEST_SECRETS.ADMIN_TOKEN}`, 'X-Request-Id': 'req-abc-123' },
      );
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      const jobId = response.body.data.probeWorkers.jobId as string;

      const started = await until('the probe job log line', () =>
        parsedLogs(app).find((line) => line.msg === 'probe job started' && line.jobId === jobId),
      );
      expect(started.requestId).toBe('req-abc-123');
    });
  });

  describe('unknown job names', () => {
    it('fails the job at once instead of losing it or retrying it', async () => {
      // maintenance retries real failures 5 times with backoff; an unknown name must not be retried.
      const queue = app.queues.get('maintenance');
      const events = await app.queues.eventsOf('maintenance');
      const job = await queue.add('no-such-job', {});

      await expect(job.waitUntilFinished(events, JOB_TIMEOUT_MS)).rejects.toThrow('No handler for job "no-such-job" on queue "maintenance"');
      expect(await job.getState()).toBe('failed');
      const failed = (await queue.getJob(job.id!))!;
      expect(failed.attemptsMade).toBe(1);
      const logged = await until('the job failed log line', () =>
        parsedLogs(app).find((line) => line.msg === 'job failed' && line.jobId === job.id),
      );
      expect(logged).toMatchObject({ queue: 'maintenance', jobName: 'no-such-job' });
    });
  });
});
