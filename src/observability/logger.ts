import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials are redacted wherever they appear in logged objects, so a
 * stray `log.info({ req })` or `{ input }` never prints a token, key or password.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wa-backend' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
          'accessToken',
          '*.accessToken',
          '*.*.accessToken',
          'password',
          '*.password',
          '*.*.password',
          'secret',
          '*.secret',
          'token',
          '*.token',
          'refreshToken',
          '*.refreshToken',
          'variables.input.accessToken',
          'variables.input.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
