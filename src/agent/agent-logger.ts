import pino, { type Logger } from 'pino';
import { REDACTED, redactLogArgs } from '../redact.js';
import { redactPaths } from '../secret-fields.js';

// The redactor lives in src/redact.ts (one for logs and errors alike); re-exported for old callers.
export { REDACTED, isSecretKey, redactConfigMap, redactUrl } from '../redact.js';
export { redactPaths } from '../secret-fields.js';

export function createAgentLogger(opts: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'snapstream-agent',
      redact: { paths: redactPaths(), censor: REDACTED },
      hooks: { logMethod: redactLogArgs },
      base: { pid: process.pid },
    },
    opts.destination,
  );
}
