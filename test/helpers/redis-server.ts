import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REDIS_SERVER = 'redis-server'; // from PATH; scripts/services.sh installs it
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** A Redis of the test's own, which the test may stop and start again (the shared one must stay up). */
export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, SIGKILL after a bound); the port stays reserved for `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (nothing is persisted). */
  start(): Promise<void>;
  /** Stops it for good and removes its working folder. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True once the server answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts redis-server on a free port, in the foreground as our child, with persistence off. */
export async function startRedisServer(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-redis-'));
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    if (child) return;
    output = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
    const server = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = server;
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.once('exit', () => {
      if (child === server) child = null;
    });
    const spawnError = new Promise<never>((_, reject) => server.once('error', reject));
    const deadline = Date.now() + START_TIMEOUT_MS;
    const ready = (async () => {
      while (Date.now() < deadline) {
        if (child !== server) throw new Error(`redis-server exited at start:\n${output}`);
        if (await answersPing(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`redis-server did not answer on port ${port} within ${START_TIMEOUT_MS} ms:\n${output}`);
    })();
    try {
      await Promise.race([ready, spawnError]);
    } catch (error) {
      await stop();
      throw error;
    }
  };

  const stop = async () => {
    const server = child;
    if (!server) return;
    server.kill('SIGTERM');
    if (!(await exited(server, STOP_TIMEOUT_MS))) {
      server.kill('SIGKILL');
      await exited(server, STOP_TIMEOUT_MS);
    }
    child = null;
  };

  await start().catch((error) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
