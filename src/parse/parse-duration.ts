import { ErrorCode, SnapstreamError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const TERM = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration (time.ParseDuration: "60s", "1m30s", "720h0m0s", "1.5h") into whole
 * milliseconds, the format Velero and the plugin use for `ttl` and `restApiTimeout`. Negative
 * durations and Go's bare numbers other than "0" are refused, as Go refuses them ("missing unit").
 */
export function parseGoDuration(key: string, value: string): number {
  const bad = (why: string): never => {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `${key}: ${JSON.stringify(value)} is not a valid duration (${why}); write a Go duration such as "60s", "1m30s" or "720h0m0s"`,
      { details: { key, value } },
    );
  };
  const s = value.trim();
  if (s === '0') return 0;
  if (s === '') bad('it is empty');
  if (s.startsWith('-')) bad('it is negative');
  const body = s.startsWith('+') ? s.slice(1) : s;
  let ms = 0;
  let pos = 0;
  while (pos < body.length) {
    TERM.lastIndex = pos;
    const t = TERM.exec(body);
    if (t === null || t[1] === '' || t[1] === '.') {
      return bad(/^[0-9.]+$/.test(body.slice(pos)) ? 'missing unit' : `unexpected ${JSON.stringify(body.slice(pos))}`);
    }
    ms += Number(t[1]) * UNIT_MS[t[2]!]!;
    pos = TERM.lastIndex;
  }
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) bad('it is too large');
  return Math.round(ms);
}
