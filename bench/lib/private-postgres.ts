import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './app-process';

export interface PrivatePostgres {
  /** postgres://…/postgres on the private server. */
  url: string;
  /** The postmaster's process id: its children are this server's backends, to count their CPU apart from any other server's. */
  pid(): number;
  stop(): void;
}

function pgBin(): string {
  const candidates = ['/usr/lib/postgresql/15/bin', ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`) : [])];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'pg_ctl')));
  if (!found) throw new Error('No PostgreSQL binaries under /usr/lib/postgresql: run `bash scripts/services.sh start` once, or use --pg shared');
  return found;
}

/**
 * A throwaway PostgreSQL with the default durability settings (fsync on), on a free port, in a
 * temporary folder on disk. The shared development server runs with fsync=off for test speed, which
 * makes a single-row commit nearly free and is not what the targets of DESIGN.md section 10 mean.
 * `statementStats` loads pg_stat_statements, so a benchmark can show which statements cost the most.
 * For a closer look, BENCH_PG_OPTIONS adds server options (for example
 * `-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=5`) and
 * BENCH_PG_KEEP_LOG names a file that receives the server's log when it stops.
 */
export async function startPrivatePostgres(options: { statementStats?: boolean } = {}): Promise<PrivatePostgres> {
  const bin = pgBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-bench-pg-'));
  const data = path.join(dir, 'data');
  // initdb and postgres refuse to run as root.
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { stdio: 'pipe' }) : execFileSync(path.join(bin, command), args, { stdio: 'pipe' });
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '--auth=trust', '--no-sync', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']);
    run('pg_ctl', ['start', '-w', '-D', data, '-l', path.join(dir, 'server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=200${options.statementStats ? ' -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on' : ''}${process.env.BENCH_PG_OPTIONS ? ' ' + process.env.BENCH_PG_OPTIONS : ''}`]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not start a private PostgreSQL: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid: () => Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop() {
      try {
        run('pg_ctl', ['stop', '-w', '-D', data, '-m', 'fast']);
      } finally {
        if (process.env.BENCH_PG_KEEP_LOG) execFileSync('cp', [path.join(dir, 'server.log'), process.env.BENCH_PG_KEEP_LOG]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
