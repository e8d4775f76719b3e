import pino, { type Logger } from 'pino';

/**
 * Field names whose values are credentials. Matched case-insensitively against object keys, both by
 * pino's redaction (for structured fields) and by redactConfigMap (for free-form maps such as a
 * VolumeSnapshotLocation config, whose keys we cannot list in advance).
 */
const SECRET_KEY = /(secret|password|passwd|token|credential|authorization|private|apikey|api_key|accesskey|access_key|cacert|^key$|keydata|key_?material|tls\.?key|signature)/i;

const SECRET_FIELDS = [
  'secret',
  'secretAccessKey',
  'secret_access_key',
  'accessKeyId',
  'password',
  'token',
  'sessionToken',
  'session_token',
  'authorization',
  'Authorization',
  'privateKey',
  'private_key',
  'key',
  'keyPem',
  'certKey',
  'credentials',
  'caCert',
];

/** pino redaction paths: each secret field at the top level and up to four levels deep. */
export function redactPaths(): string[] {
  const out: string[] = [];
  for (const f of SECRET_FIELDS) {
    out.push(f);
    for (let depth = 1; depth <= 4; depth++) out.push(`${'*.'.repeat(depth)}${f}`);
  }
  return out;
}

export const REDACTED = '[REDACTED]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A copy of a string map with the values of credential-like keys replaced. */
export function redactConfigMap(config: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config ?? {})) out[k] = isSecretKey(k) ? REDACTED : v;
  return out;
}

/** A URL safe to log: userinfo and credential-like query parameters removed. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    for (const k of [...u.searchParams.keys()]) if (isSecretKey(k) || /^x-amz-/i.test(k)) u.searchParams.set(k, REDACTED);
    return u.toString();
  } catch {
    // Not a URL: keep only a harmless prefix so a pasted credential does not survive.
    return raw.length > 8 ? `${raw.slice(0, 8)}...` : raw;
  }
}

export function createAgentLogger(opts: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'snapstream-agent',
      redact: { paths: redactPaths(), censor: REDACTED },
      base: { pid: process.pid },
    },
    opts.destination,
  );
}
