import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface AppProcess {
  url: string;
  process: ChildProcess;
  /** SIGTERM (the app drains), SIGKILL after a bound. */
  stop(): Promise<void>;
}

function statFields(pid: number): string[] {
  // Everything after the command name, which may itself hold spaces and parentheses.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = statFields(pid);
    // utime and stime are fields 14 and 15 of stat(5); index 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function processIds(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
}

/**
 * CPU seconds of a server and all its children, including the children that have already exited
 * (PostgreSQL's postmaster reaps its backends, so their time is in its cutime and cstime): a
 * benchmark's connections come and go within a phase.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  let total = 0;
  try {
    const fields = statFields(rootPid);
    total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
  for (const pid of processIds()) {
    try {
      if (Number(statFields(pid)[1]) !== rootPid) continue;
      const own = cpuSeconds(pid);
      // NaN: the process ended meanwhile, and its time is now in the root's cutime.
      if (!Number.isNaN(own)) total += own;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** The command name of a process (what `ps -o comm` shows). */
function commandName(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/**
 * CPU seconds of every server named `name` (postgres) with its children, those that exited
 * included (processTreeCpuSeconds). Summing the live processes by name instead lost the time of
 * a backend that exited within the measured window, and could even go down.
 */
export function serverCpuSeconds(name: string): number {
  let total = 0;
  for (const pid of processIds()) {
    try {
      if (commandName(pid) !== name || commandName(Number(statFields(pid)[1])) === name) continue;
      const tree = processTreeCpuSeconds(pid);
      if (!Number.isNaN(tree)) total += tree;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU seconds of every live process whose command name is `name` (redis-server). */
export function cpuSecondsByName(name: string): number {
  let total = 0;
  for (const pid of processIds()) {
    try {
      const own = commandName(pid) === name ? cpuSeconds(pid) : 0;
      if (!Number.isNaN(own)) total += own;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
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
