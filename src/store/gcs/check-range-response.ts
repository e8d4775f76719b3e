import type { ByteRange } from '../object-store.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Why the answer to a ranged GET cannot be trusted to hold exactly bytes offset..offset+length-1,
 * or undefined when it can. A server that ignores the Range header answers 200 with the whole object
 * (the firebase-tools emulator does so for a range past the end, where GCS answers 416); handing
 * those bytes to the restore would surface as a puzzling hash mismatch instead of a clear error.
 * A 200 is accepted only when the range starts at 0 and the whole object fits in it.
 */
export function checkRangeResponse(status: number, headers: Headers, range: ByteRange): string | undefined {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const asked = `bytes=${range.offset}-${range.offset + range.length - 1}`;
  if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header('content-range') ?? '');
    if (!m) return `answered 206 to ${asked} without a valid Content-Range (${JSON.stringify(header('content-range') ?? null)})`;
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (start !== range.offset || end > range.offset + range.length - 1) {
      return `answered ${asked} with bytes ${start}-${end}`;
    }
    return undefined;
  }
  if (status === 200) {
    const len = Number(header('content-length') ?? NaN);
    if (range.offset === 0 && Number.isFinite(len) && len <= range.length) return undefined;
    return `ignored the range ${asked} and answered 200 with ${Number.isFinite(len) ? `${len} bytes` : 'the whole object'}`;
  }
  return `answered ${status} to ${asked}`;
}
