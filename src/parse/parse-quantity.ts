import { ErrorCode, SnapstreamError } from '../errors.js';

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
// <sign><digits>[.<digits>]<suffix>; suffix is binary SI, an exponent (e3/E-2) or decimal SI. The
// exponent alternative comes before the single-letter "E" (exa), as in Kubernetes' own parser.
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]|)$/;

/**
 * Parses a Kubernetes resource quantity ("64Mi", "100M", "5242880", "1e9") into a whole number of
 * bytes, exactly (BigInt arithmetic, no float rounding). Fractions of a byte are refused. The one
 * size parser of snapstream (CLI flags, URL parameters, VSL keys, the agent config): suffixes are
 * case-sensitive as in Kubernetes, so "M" is 10^6, "Mi" 2^20 and "m" milli (10^-3).
 */
export function parseQuantityBytes(key: string, value: string): number {
  const bad = (why: string): never => {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `${key}: ${JSON.stringify(value)} is not a valid size (${why}); write a Kubernetes quantity such as "64Mi" or "100M"`,
      { details: { key, value } },
    );
  };
  const q = QUANTITY.exec(value.trim());
  if (q === null) return bad('expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T');
  const [, sign, num, suffix] = q as unknown as [string, string, string, string];
  if (sign === '-') bad('it is negative');
  const [intPart, fracPart = ''] = num.split('.') as [string, string?];
  let mantissa = BigInt((intPart || '0') + fracPart);
  let exp10 = -fracPart.length;
  let mul = 1n;
  if (suffix in BINARY) mul = BINARY[suffix]!;
  else if (/^[eE][+-]?[0-9]/.test(suffix)) exp10 += Number(suffix.slice(1));
  else exp10 += DECIMAL_EXP[suffix]!;
  if (exp10 > 30) bad('it is too large');
  mantissa *= mul;
  let bytes: bigint;
  if (exp10 >= 0) {
    bytes = mantissa * 10n ** BigInt(exp10);
  } else {
    const div = 10n ** BigInt(-exp10);
    // "512m" is a classic slip for megabytes; in a quantity it is 0.512 (milli), so say so.
    if (mantissa % div !== 0n && suffix === 'm') return bad('"m" is milli (10^-3) in a Kubernetes quantity: write "M" for 10^6 or "Mi" for 2^20');
    if (mantissa % div !== 0n) return bad('it is not a whole number of bytes');
    bytes = mantissa / div;
  }
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) bad('it is too large');
  return Number(bytes);
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['Gi', 1 << 30], ['Mi', 1 << 20], ['Ki', 1 << 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return `${n} bytes`;
}
