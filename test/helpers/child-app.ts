import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { deleteKeys } from './test-app';
import { createTestDatabase } from './database';
import { TEST_SECRETS, requireEnv } from './test-env';

const ROOT = path.resolve(__dirname, '../..');

/** Compiling src/ on the fly with swc-node takes a few seconds on a 2-core machine. */
const START_TIMEOUT_MS = 30_000;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildApp {
  /** Base URL from the app's own `listening` log line. */
  url: string;
  /** The REDIS_PREFIX the app runs with; BullMQ keys live under `{prefix}`. */
  prefix: string;
  process: ChildProcess;
  /** Every JSON log line the process printed on stdout, parsed. */
  logs: Record<string, unknown>[];
  /** Everything it printed on stderr, for failure messages. */
  stderr: () => string;
  /** Settles when the process has exited and its output is read. */
  exited: Promise<ChildExit>;
  /** Kills the process if still running, then drops its database and Redis keys. */
  stop(): Promise<void>;
}

/**
 * Runs the real app as `node src/main.ts` in a child process (api and workers, LOCAL_MODE off),
 * with its own database and Redis prefix, so a test can send it signals and watch it exit.
 */
export async function startChildApp(env: Record<string, string> = {}): Promise<ChildApp> {
  const database = await createTestDatabase();
  const prefix = `c${randomBytes(5).toString('hex')}`;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: './tsconfig.build.json',
      NODE_ENV: 'test',
      LOCAL_MODE: '0',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: requireEnv('REDIS_URL'),
      REDIS_PREFIX: prefix,
      ...TEST_SECRETS,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      // main.ts also prints a human welcome banner; only JSON lines are logs.
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a partial or foreign line: not a log
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close' rather than 'exit': it comes after stdout is drained, so the last log lines are parsed.
  const exited = new Promise<ChildExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (running) {
      child.kill('SIGKILL');
      await exited;
    }
    await deleteKeys(requireEnv('REDIS_URL'), prefix);
    await database.drop();
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + START_TIMEOUT_MS;
      const poll = setInterval(() => {
        const listening = logs.find((line) => line.msg === 'listening');
        if (listening) {
          clearInterval(poll);
          resolve(listening.url as string);
        } else if (!running || Date.now() > deadline) {
          clearInterval(poll);
          reject(new Error(`The app did not start (${running ? 'timed out' : 'exited'}):\n${stderr}`));
        }
      }, 50);
    });
    return { url, prefix, process: child, logs, stderr: () => stderr, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
