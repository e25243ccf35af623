import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** psql of the installed PostgreSQL (Debian keeps it off PATH), as in bench/lib/private-postgres.ts. */
export function psqlPath(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse() : [];
  const found = versions.map((v) => `/usr/lib/postgresql/${v}/bin/psql`).find((file) => existsSync(file));
  return found ?? 'psql';
}

const SPECIAL = /[\\\t\n\r]/;

/** A field of COPY's text format: NULL is \N; backslash, tab and line breaks escaped. */
export function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

/** One row of COPY's text format. */
export const copyLine = (values: (string | number | null | undefined)[]) => values.map(copyField).join('\t') + '\n';

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let isoDay = NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()` without the Date: millions of timestamps are formatted, nearly all
 * on a day already seen.
 */
export function isoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const whole = Math.floor(ms);
  const day = Math.floor(whole / 86_400_000);
  if (day !== isoDay) {
    isoDay = day;
    isoPrefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  let rest = whole - day * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${isoPrefix}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[rest - seconds * 1000]}Z`;
}

const CHUNK = 1 << 18;

/**
 * Streams rows (COPY text format) into one table through `COPY ... FROM STDIN` in a psql child process (the pg
 * driver has no COPY of its own). The session skips foreign-key triggers (session_replication_role
 * = replica): rows of one history arrive in time order, not parents first, and the generator
 * builds them consistent; unique indexes still apply.
 */
export class CopyWriter {
  private readonly child: ChildProcess;
  private readonly exited: Promise<number>;
  private chunk = '';
  private stderr = '';
  private blocked: Promise<void> | null = null;
  rows = 0;

  constructor(databaseUrl: string, readonly table: string, columns: readonly string[]) {
    this.child = spawn(psqlPath(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-c', `COPY "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`], {
      env: { ...process.env, PGOPTIONS: '-c session_replication_role=replica -c synchronous_commit=off' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (data: Buffer) => (this.stderr += data.toString()));
    // A broken pipe surfaces as the exit status below, with psql's message.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code ?? 1)));
  }

  write(line: string): void {
    this.chunk += line;
    this.rows += 1;
    if (this.chunk.length >= CHUNK) this.push();
  }

  private push(): void {
    if (!this.chunk) return;
    const ok = this.child.stdin!.write(this.chunk);
    this.chunk = '';
    if (!ok && !this.blocked) this.blocked = new Promise((resolve) => this.child.stdin!.once('drain', () => ((this.blocked = null), resolve())));
  }

  /** Resolves once psql has taken what was written so far (backpressure for the generator). */
  async drained(): Promise<void> {
    while (this.blocked) {
      const exited = await Promise.race([this.blocked.then(() => false), this.exited.then(() => true)]);
      if (exited) throw new Error(`COPY into ${this.table} stopped: ${this.stderr.trim()}`);
    }
  }

  async end(): Promise<void> {
    this.push();
    this.child.stdin!.end();
    const code = await this.exited;
    if (code !== 0) throw new Error(`COPY into ${this.table} failed (psql exit ${code}): ${this.stderr.trim()}`);
  }

  /** On failure elsewhere: stop psql without committing (its COPY transaction rolls back). */
  abort(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
