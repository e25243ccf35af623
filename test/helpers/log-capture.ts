import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger';

/** A real pino logger whose JSON lines are kept in memory, so tests can read what would be logged. */
export function captureLogs(level = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger(level, stream), lines };
}
