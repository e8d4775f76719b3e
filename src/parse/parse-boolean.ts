import { ErrorCode, SnapstreamError } from '../errors.js';

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/**
 * Config booleans: true/false, yes/no, 1/0, any case. Anything else is an error that names the key,
 * the value and the fix. Today's plugin treats every unrecognised value as false, so a typo in
 * `restoreAllIncrementalSnapshots` silently changes what a restore does; here it cannot.
 */
export function parseBoolean(key: string, value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  let fix = `use "true" or "false" (yes/no and 1/0 are accepted too)`;
  // The seed's own examples use typographic quotes, which YAML keeps as part of the value.
  if (/^[\u201c\u201d\u2018\u2019].*[\u201c\u201d\u2018\u2019]$/.test(v)) {
    fix = `the value is wrapped in typographic quotes (“ ”), which YAML keeps as part of the text; use straight quotes: ${key}: "${v.slice(1, -1)}"`;
  }
  throw new SnapstreamError(
    ErrorCode.INVALID_ARGUMENT,
    `${key}: ${JSON.stringify(value)} is not a boolean; ${fix}`,
    { details: { key, value } },
  );
}
