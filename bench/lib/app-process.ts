import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface AppProcess {
  url: string;
  process: ChildProcess;
  /** SIGTERM (the app drains), SIGKILL after a bound. */
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5); index 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Runs the real app (`node src/main.ts`, compiled on the fly by swc-node) in its own process, so the
 * load generator does not share its event loop. Output goes to `logFile`, not through a pipe we
 * would have to drain while measuring.
 */
export async function startAppProcess(env: Record<string, string>, logFile: string, nodeArgs: string[] = [], startTimeoutMs = 60_000): Promise<AppProcess> {
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: './tsconfig.build.json', LOCAL_MODE: '0', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', out, out],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`The app (${env.ROLE ?? 'all'}) exited at start; see ${logFile}`);
    const live = await fetch(`${url}/health/live`).then((response) => response.ok, () => false);
    if (live) return { url, process: child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The app (${env.ROLE ?? 'all'}) did not start within ${startTimeoutMs} ms; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
