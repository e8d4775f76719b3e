import pino, { type Logger } from 'pino';

/**
 * Credential-shaped fields are censored wherever they appear in a log object (two levels deep, which
 * covers request bodies and VSL config maps). Secrets should never be handed to the logger; this is
 * the net under that rule, and tests assert it holds.
 */
export const REDACT_KEYS = [
  'secret',
  'secretAccessKey',
  'secretKey',
  'accessKeyId',
  'sessionToken',
  'password',
  'token',
  'authorization',
  'Authorization',
  'credentials',
  'privateKey',
  'private_key',
  'key',
  'cert',
  'caCert',
  'cloudCredentials',
];
export const REDACT_PATHS = REDACT_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export interface LogOptions {
  level?: string;
  /** Write to this file descriptor (default 2: logs never mix with command output on stdout). */
  fd?: number;
}

export function createLogger(opts: LogOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.SNAPSTREAM_LOG_LEVEL ?? 'info',
      base: { name: 'snapstream' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}
