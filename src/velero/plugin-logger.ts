import pino, { type Logger } from 'pino';
import { REDACT_PATHS } from '../log.js';

/** pino level label -> go-hclog level name (go-hclog has no fatal). */
const HCLOG_LEVEL: Record<string, string> = { trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'error' };

/**
 * The plugin's logger: JSON lines on stderr in go-hclog's shape (`@level`, `@message`,
 * `@timestamp`, other keys as fields), which go-plugin's host parses into Velero's log at the
 * right level. stdout belongs to the handshake line and nothing else, ever. Credential-shaped keys
 * are censored as in every snapstream log.
 */
export function createPluginLogger(level: string, fd = 2): Logger {
  return pino(
    {
      level,
      base: null,
      messageKey: '@message',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      // go-plugin parses @timestamp with exactly six fractional digits, else it logs the raw line.
      timestamp: () => `,"@timestamp":"${new Date().toISOString().replace(/Z$/, '000Z')}"`,
      formatters: { level: (label) => ({ '@level': HCLOG_LEVEL[label] ?? 'info' }) },
    },
    pino.destination({ fd, sync: true }),
  );
}

/**
 * The level from the flags the host appends (`--log-level debug` or `--log-level=debug`; Velero
 * passes its own server flags through), else $SNAPSTREAM_LOG_LEVEL, else info. Every other flag is
 * ignored: the host may append flags of future Velero versions.
 */
export function logLevelFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const known = new Set(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic']);
  let level: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-level' || a === '-log-level') level = argv[i + 1];
    else if (a.startsWith('--log-level=')) level = a.slice('--log-level='.length);
  }
  level = (level ?? env.SNAPSTREAM_LOG_LEVEL ?? 'info').toLowerCase();
  if (!known.has(level)) return 'info';
  if (level === 'warning') return 'warn';
  if (level === 'panic') return 'fatal';
  return level;
}
