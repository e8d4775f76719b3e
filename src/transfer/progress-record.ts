import { ErrorCode, SnapstreamError } from '../errors.js';
import type { PartPlan } from '../plan/part-plan.js';
import { parseJsonObject } from '../model/parse-json-object.js';

/**
 * A backup's progress record: a small JSON object next to the data object, rewritten as parts are
 * stored, so a retried backup of the same snapshot can continue the same upload instead of sending
 * every byte again. It is NEVER a commit marker: only the manifest makes a backup exist, and list /
 * restore ignore records. It is read back from the store (untrusted bytes), so parsing checks every
 * field and bound, and the upload handle it names is checked again by the store (resumeUpload).
 *
 * Key: `<dataKey>.snapstream-progress.json` (h13-recovery's cleanup keeps an upload a record names
 * while the record is younger than the grace period).
 */
export const PROGRESS_FORMAT = 'snapstream.progress';
export const PROGRESS_VERSION = 1;
export const PROGRESS_SUFFIX = '.snapstream-progress.json';
/** 10,000 parts at ~110 bytes each, with a wide margin. */
export const PROGRESS_MAX_BYTES = 4 * 1024 * 1024;
const MAX_PARTS = 10_000;
const MAX_STREAM_BYTES = 5 * 1024 ** 4;

export interface RecordedPart {
  n: number;
  offset: number;
  size: number;
  /** XXH64 of the part's bytes (16 hex). */
  xxh64: string;
  /** The store's receipt for the part (S3 ETag), when it gives one. */
  receipt?: string;
}

export interface ProgressRecord {
  format: typeof PROGRESS_FORMAT;
  version: typeof PROGRESS_VERSION;
  dataKey: string;
  /** MultipartUpload.handle of the upload being continued (S3 UploadId, local temp file name). */
  uploadHandle: string;
  snapshotGuid: string;
  previousSnapshotGuid: string;
  /** The exact `zfs send` arguments; a different command line makes a different stream. */
  sendArgs: string[];
  partPlan: PartPlan;
  /** Parts known stored, ascending by n; with parallel uploads there may be gaps. */
  parts: RecordedPart[];
  startedAt: string;
  updatedAt: string;
}

export function progressKeyFor(dataKey: string): string {
  return dataKey + PROGRESS_SUFFIX;
}

export function isProgressKey(key: string): boolean {
  return key.endsWith(PROGRESS_SUFFIX);
}

export function serializeProgress(r: ProgressRecord): Buffer {
  return Buffer.from(JSON.stringify(r), 'utf8');
}

const HEX16 = /^[0-9a-f]{16}$/;
const DIGITS = /^[0-9]{0,20}$/;

/** Parses a record; any defect is MANIFEST_INVALID (the caller then starts over and says why). */
export function parseProgress(bytes: Buffer, where: string): ProgressRecord {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `progress record ${where} is invalid: ${why}`);
  };
  const o = parseJsonObject(bytes, PROGRESS_MAX_BYTES, PROGRESS_FORMAT, bad);
  if (o.version !== PROGRESS_VERSION) bad(`"version" is ${JSON.stringify(o.version)}, expected ${PROGRESS_VERSION}`);
  const str = (v: unknown, what: string, max = 1024): string => {
    if (typeof v !== 'string' || v.length > max) return bad(`${what} must be a string of at most ${max} characters`);
    return v;
  };
  const int = (v: unknown, what: string, max: number, min = 0): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) return bad(`${what} must be an integer in ${min}..${max}`);
    return v;
  };
  const guid = (v: unknown, what: string): string => {
    const s = str(v, what, 20);
    if (!DIGITS.test(s)) bad(`${what} must be a decimal string`);
    return s;
  };
  if (!Array.isArray(o.sendArgs) || o.sendArgs.length > 16) return bad('"sendArgs" must be a short array of strings');
  const sendArgs = o.sendArgs.map((a, i) => str(a, `sendArgs[${i}]`));
  const pp = o.partPlan as Record<string, unknown> | null;
  if (typeof pp !== 'object' || pp === null) return bad('"partPlan" must be an object');
  const partPlan: PartPlan = {
    initialPartSize: int(pp.initialPartSize, 'partPlan.initialPartSize', 5 * 1024 ** 3, 1),
    growEvery: int(pp.growEvery, 'partPlan.growEvery', MAX_PARTS, 1),
    maxPartSize: int(pp.maxPartSize, 'partPlan.maxPartSize', 5 * 1024 ** 3, 1),
    maxParts: int(pp.maxParts, 'partPlan.maxParts', MAX_PARTS, 1),
  };
  if (!Array.isArray(o.parts) || o.parts.length > MAX_PARTS) return bad(`"parts" must be an array of at most ${MAX_PARTS}`);
  const parts: RecordedPart[] = [];
  let lastN = 0;
  for (let i = 0; i < o.parts.length; i++) {
    const p = o.parts[i] as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null) return bad(`parts[${i}] must be an object`);
    const n = int(p.n, `parts[${i}].n`, MAX_PARTS, 1);
    if (n <= lastN) bad(`parts[${i}].n is ${n}; parts must be in ascending order`);
    lastN = n;
    const h = p.xxh64;
    if (typeof h !== 'string' || !HEX16.test(h)) return bad(`parts[${i}].xxh64 must be 16 lowercase hex digits`);
    const part: RecordedPart = {
      n,
      offset: int(p.offset, `parts[${i}].offset`, MAX_STREAM_BYTES),
      size: int(p.size, `parts[${i}].size`, 5 * 1024 ** 3),
      xxh64: h,
    };
    if (p.receipt !== undefined) part.receipt = str(p.receipt, `parts[${i}].receipt`, 256);
    parts.push(part);
  }
  return {
    format: PROGRESS_FORMAT,
    version: PROGRESS_VERSION,
    dataKey: str(o.dataKey, '"dataKey"'),
    uploadHandle: str(o.uploadHandle, '"uploadHandle"', 2048),
    snapshotGuid: guid(o.snapshotGuid, '"snapshotGuid"'),
    previousSnapshotGuid: guid(o.previousSnapshotGuid, '"previousSnapshotGuid"'),
    sendArgs,
    partPlan,
    parts,
    startedAt: str(o.startedAt, '"startedAt"', 64),
    updatedAt: str(o.updatedAt, '"updatedAt"', 64),
  };
}
