import pino, { type Logger } from 'pino';
import { redactLogArgs } from './redact.js';
import { redactPaths } from './secret-fields.js';

/**
 * Credential-shaped fields are censored wherever they appear in a log object, and every string goes
 * through the one redactor (src/redact.ts), like the agent's logs. Secrets should never be handed to
 * the logger; this is the net under that rule, and tests assert it holds.
 */
export const REDACT_PATHS = redactPaths();

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
      hooks: { logMethod: redactLogArgs },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}
