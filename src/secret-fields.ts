import { BASE_SECRET_FIELDS } from './redact.js';
import { STORE_BACKENDS } from './store/store-registry.js';

/**
 * The one list of log field names whose values are credentials: the generic ones (redact.ts) and
 * every registered store backend's (StoreBackend.secretFields), so a new backend's secrets are
 * censored without an edit here.
 */
export const SECRET_FIELDS: readonly string[] = [...new Set([...BASE_SECRET_FIELDS, ...STORE_BACKENDS.flatMap((b) => b.secretFields)])];

/** pino redaction paths: each secret field at the top level and up to four levels deep. */
export function redactPaths(): string[] {
  const out: string[] = [];
  for (const f of SECRET_FIELDS) {
    out.push(f);
    for (let depth = 1; depth <= 4; depth++) out.push(`${'*.'.repeat(depth)}${f}`);
  }
  return out;
}
