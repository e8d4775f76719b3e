/**
 * The one redactor. Everything that may carry a credential on its way to a log line or an error
 * message goes through here: structured log fields (by key, through pino's redaction paths built
 * from SECRET_FIELDS (src/secret-fields.ts), and by value through redactDeep), location URLs (userinfo, credential-like
 * query parameters, URLs nested inside query values such as `endpoint=`), and free text (error
 * messages from SDKs that quote a presigned URL or a header).
 *
 * The rule is "mask the value, keep the shape": a reader still sees which parameter was there.
 */

export const REDACTED = '[REDACTED]';

/**
 * Key names whose values are credentials, matched case-insensitively: object keys, VSL config keys,
 * URL query parameter names. Covers AWS SigV4 query auth (X-Amz-Security-Token, X-Amz-Signature,
 * X-Amz-Credential), GCS signed URLs (X-Goog-Signature, GoogleAccessId, Signature), Azure SAS (sig),
 * API keys (key, apikey) and the usual secret/password/token names.
 */
const SECRET_KEY =
  /(secret|password|passwd|passphrase|token|credential|authorization|private|apikey|api_key|accesskey|access_key|cacert|^key$|^sig$|keydata|key_?material|tls\.?key|signature|^x-amz-|^x-goog-|googleaccessid)/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Field names pino censors at any depth up to four levels (its redaction needs literal paths), the
 * ones no backend owns. Each store backend adds its own (StoreBackend.secretFields); the one list
 * pino gets is their union, src/secret-fields.ts.
 */
export const BASE_SECRET_FIELDS = [
  'secret',
  'password',
  'token',
  'authorization',
  'Authorization',
  'key',
  'keyPem',
  'certKey',
  'cert',
  'cloudCredentials',
];

/** A copy of a string map with the values of credential-like keys replaced. */
export function redactConfigMap(config: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config ?? {})) out[k] = isSecretKey(k) ? REDACTED : redactText(String(v));
  return out;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A URL safe to log: userinfo replaced, credential-like query values masked, URL-valued query
 * parameters (an S3 `endpoint=` with userinfo or its own signed query) redacted recursively.
 * Something that does not parse as a URL is treated as free text.
 */
export function redactUrl(raw: string, depth = 0): string {
  const s = String(raw);
  if (depth > 3) return REDACTED;
  if (!SCHEME.test(s)) {
    // A path is a location too (file store); anything else given as a URL is not one, and may be a
    // pasted credential: keep only a harmless prefix.
    if (s.startsWith('/')) return redactText(s, depth + 1);
    return s.length > 8 ? `${s.slice(0, 8)}...` : s;
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return redactText(s.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`), depth + 1);
  }
  const auth = u.username || u.password ? `${REDACTED}@` : '';
  const query = [...u.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${redactQueryValue(k, v, depth)}`);
  const base = `${u.protocol}//${auth}${u.host}${u.pathname === '/' && !s.slice(u.protocol.length + 2).includes('/') ? '' : u.pathname}`;
  return `${base}${query.length ? `?${query.join('&')}` : ''}${u.hash ? REDACTED_HASH(u.hash) : ''}`;
}

function REDACTED_HASH(hash: string): string {
  // Fragments carry OAuth implicit-grant tokens (#access_token=...).
  return /=/.test(hash) ? `#${REDACTED}` : hash;
}

function redactQueryValue(k: string, v: string, depth: number): string {
  if (isSecretKey(k)) return REDACTED;
  if (SCHEME.test(v)) return encodeURIComponent(redactUrl(v, depth + 1)).replace(/%5BREDACTED%5D/g, REDACTED);
  return encodeURIComponent(redactText(v, depth + 1));
}

/** URLs inside free text: scheme://... up to whitespace or a quote/bracket. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`)\]]+/gi;
/** `name=value` / `name: value` / `"name":"value"` where the name is credential-like. */
const PAIR_IN_TEXT = /(["']?)([A-Za-z0-9_.-]*(?:secret|password|passwd|token|credential|signature|authorization|apikey|api_key|accesskey|access_key|private_?key|x-amz-[a-z-]+|x-goog-[a-z-]+|sig|key))\1(\s*[=:]\s*)(["']?)([^\s"'&,;<>)]+)/gi;
/** Bearer/Basic authorization values. */
const AUTH_SCHEME = /\b(Bearer|Basic|AWS4-HMAC-SHA256)\s+[A-Za-z0-9._~+/=,:-]{8,}/g;
/** AWS access key ids (long-term AKIA, temporary ASIA): an id alone already names the account's key. */
const AWS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;
/** PEM blocks of private keys. */
const PEM_PRIVATE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * Free text (an error message, an SDK's exception text) with every embedded URL redacted and every
 * credential-looking `name=value` masked. Used on every error message that leaves the agent.
 */
export function redactText(text: string, depth = 0): string {
  let s = String(text);
  s = s.replace(PEM_PRIVATE, REDACTED);
  if (depth <= 3) s = s.replace(URL_IN_TEXT, (m) => redactUrl(m, depth + 1));
  s = s.replace(PAIR_IN_TEXT, (m, q1: string, name: string, sep: string, q2: string, value: string) => {
    // "key" in prose ("object key: backups/x", "dataKey": "...") is not a credential; only
    // key=... is, and the unambiguous api/access/private/secret keys in any form.
    if (/key$/i.test(name) && !/(api_?key|access_?key|private_?key|secret_?key)$/i.test(name) && !sep.includes('=')) return m;
    if (value === REDACTED || value.startsWith('[REDACTED')) return m;
    return `${q1}${name}${q1}${sep}${q2}${REDACTED}`;
  });
  s = s.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  s = s.replace(AWS_KEY_ID, REDACTED);
  return s;
}

/**
 * A deep copy of a log object with credential-keyed values masked and every string run through
 * redactText. Bounded in depth and breadth: log objects are small, and a cycle must not hang us.
 */
export function redactDeep(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v === null || typeof v !== 'object') return v;
  // Deeper than any log object we write: a cycle or a foreign object; never walk (or print) it.
  if (depth > 6) return '[deep object]';
  if (v instanceof Error) {
    const e = v as Error & { code?: unknown };
    return { type: e.name, message: redactText(e.message), ...(e.code !== undefined ? { code: e.code } : {}), ...(e.stack ? { stack: redactText(e.stack) } : {}) };
  }
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return v.slice(0, 1000).map((x) => redactDeep(x, depth + 1));
  // Only plain objects are walked; Dates, Maps, class instances keep their own serialization (pino's
  // key-based redaction still applies to them).
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (n++ > 1000) break;
    out[k] = isSecretKey(k) && (typeof x === 'string' || Buffer.isBuffer(x)) ? REDACTED : redactDeep(x, depth + 1);
  }
  return out;
}

/**
 * pino `hooks.logMethod`: every argument of a log call (the merging object and the message) goes
 * through the redactor before pino serializes it, so a URL or SDK message quoted in a log line is
 * masked like an error message is.
 */
export function redactLogArgs(this: unknown, args: unknown[], method: (...a: unknown[]) => void): void {
  method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : redactDeep(a))));
}
