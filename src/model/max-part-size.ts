import { parseQuantityBytes } from '../parse/parse-quantity.js';
import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * The largest part a manifest may declare, and the largest snapstream writes. A restore holds
 * (window + 1) parts in memory, so a part size read from the bucket is a memory claim made by
 * whoever wrote it. 1 GiB by default; the part plan grows to it, which still carries ~4 TiB streams
 * of unknown size in S3's 10,000 parts. Set SNAPSTREAM_MAX_PART_SIZE (a quantity such as "4Gi",
 * 5Mi..5Gi) on every agent and CLI that reads or writes the location, the same everywhere: a reader
 * with a lower cap refuses backups written with a higher one (MANIFEST_INVALID naming the part).
 */
export const DEFAULT_MAX_PART_BYTES = 1024 ** 3;
export const MAX_PART_SIZE_ENV = 'SNAPSTREAM_MAX_PART_SIZE';
const LOWEST = 5 * 1024 ** 2;
const HIGHEST = 5 * 1024 ** 3;

export function parseMaxPartSize(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_MAX_PART_BYTES;
  const n = parseQuantityBytes(MAX_PART_SIZE_ENV, value);
  if (n < LOWEST || n > HIGHEST) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${MAX_PART_SIZE_ENV}=${value} is outside 5Mi..5Gi (S3's part size limits)`);
  }
  return n;
}

let cached: number | undefined;

/** The cap in force: SNAPSTREAM_MAX_PART_SIZE, read once, else 1 GiB. */
export function maxPartBytes(): number {
  cached ??= parseMaxPartSize(process.env[MAX_PART_SIZE_ENV]);
  return cached;
}
