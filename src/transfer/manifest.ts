import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * The manifest is the commit marker of a backup: written last, next to the stream object. A backup
 * without a manifest does not exist for listing or restore. It is parsed from untrusted bytes, so
 * parsing checks every field and every bound before anything is allocated from it.
 */
export const MANIFEST_FORMAT = 'snapstream.backup';
export const MANIFEST_VERSION = 1;
export const MANIFEST_SUFFIX = '.snapstream.json';
/** Upper bound on a manifest's size: 10,000 parts at ~90 bytes each fit with a wide margin. */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
export const MANIFEST_MAX_PARTS = 10_000;
/** S3's object size limit; anything claiming more is hostile or corrupt. */
const MAX_STREAM_BYTES = 5 * 1024 ** 4;

export interface ManifestPart {
  /** 1-based part number. */
  n: number;
  offset: number;
  size: number;
  /** XXH64 of the part's bytes, 16 lowercase hex digits. */
  xxh64: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** The backup's name (Velero backup name, or the snapshot name from the CLI). */
  backup: string;
  /** The schedule that made it, or "" for an ad-hoc backup. */
  schedule: string;
  /** Volume (PV) name; the data key is derived from it. */
  volume: string;
  /** Source dataset, e.g. "pool/pvc-123". */
  dataset: string;
  /** Snapshot name (the part after "@"). */
  snapshot: string;
  /** ZFS guid of the snapshot, as a decimal string ("" when unknown). */
  snapshotGuid: string;
  /** Incremental base snapshot name, "" for a full stream. */
  previousSnapshot: string;
  /** ZFS guid of the base snapshot ("" for full or unknown). */
  previousSnapshotGuid: string;
  /** Backup name whose stream holds the base, when known ("" for full). */
  previousBackup: string;
  /** Key of the stream object, relative to the location root. */
  dataKey: string;
  /** Total stream bytes. */
  size: number;
  hash: 'xxh64';
  /** XXH64 of the whole stream, identical to `xxhsum -H1` of the object. */
  streamHash: string;
  parts: ManifestPart[];
  startedAt: string;
  finishedAt: string;
  agent: { name: 'snapstream'; version: string };
  /** The zfs arguments that produced the stream, for audit. */
  sendArgs: string[];
}

export function isIncremental(m: Pick<Manifest, 'previousSnapshot'>): boolean {
  return m.previousSnapshot !== '';
}

export function manifestKeyFor(dataKey: string): string {
  return dataKey + MANIFEST_SUFFIX;
}

export function serializeManifest(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(m, null, 1) + '\n', 'utf8');
}

const HEX16 = /^[0-9a-f]{16}$/;
const DIGITS = /^[0-9]{0,20}$/;

/** Parses and validates a manifest; every failure is MANIFEST_INVALID naming the field. */
export function parseManifest(bytes: Buffer, where: string): Manifest {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `manifest ${where} is invalid: ${why}`, {
      details: { manifest: where },
    });
  };
  if (bytes.length > MANIFEST_MAX_BYTES) bad(`it is ${bytes.length} bytes, more than the ${MANIFEST_MAX_BYTES} allowed`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== MANIFEST_FORMAT) bad(`"format" is ${JSON.stringify(o.format)}, expected "${MANIFEST_FORMAT}"`);
  if (o.version !== MANIFEST_VERSION) {
    bad(`"version" is ${JSON.stringify(o.version)}; this snapstream reads version ${MANIFEST_VERSION} (upgrade snapstream)`);
  }
  const str = (k: string, max = 1024): string => {
    const v = o[k];
    if (typeof v !== 'string') return bad(`"${k}" must be a string`);
    if (v.length > max) return bad(`"${k}" is longer than ${max} characters`);
    return v;
  };
  const int = (v: unknown, what: string, max: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
      return bad(`${what} must be an integer between 0 and ${max}`);
    }
    return v;
  };
  const size = int(o.size, '"size"', MAX_STREAM_BYTES);
  if (o.hash !== 'xxh64') bad(`"hash" is ${JSON.stringify(o.hash)}, expected "xxh64"`);
  const streamHash = str('streamHash', 16);
  if (!HEX16.test(streamHash)) bad('"streamHash" must be 16 lowercase hex digits');
  if (!Array.isArray(o.parts)) return bad('"parts" must be an array');
  if (o.parts.length > MANIFEST_MAX_PARTS) bad(`"parts" has ${o.parts.length} entries, more than ${MANIFEST_MAX_PARTS}`);
  if (size > 0 && o.parts.length === 0) bad('"parts" is empty but "size" is not 0');
  const parts: ManifestPart[] = [];
  let expectOffset = 0;
  for (let i = 0; i < o.parts.length; i++) {
    const p = o.parts[i] as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null) return bad(`parts[${i}] must be an object`);
    const n = int(p.n, `parts[${i}].n`, MANIFEST_MAX_PARTS);
    if (n !== i + 1) bad(`parts[${i}].n is ${n}, expected ${i + 1}`);
    const offset = int(p.offset, `parts[${i}].offset`, MAX_STREAM_BYTES);
    if (offset !== expectOffset) bad(`parts[${i}].offset is ${offset}, expected ${expectOffset} (parts must be contiguous)`);
    const psize = int(p.size, `parts[${i}].size`, 5 * 1024 ** 3);
    if (psize === 0 && size !== 0) bad(`parts[${i}].size is 0`);
    const h = p.xxh64;
    if (typeof h !== 'string' || !HEX16.test(h)) return bad(`parts[${i}].xxh64 must be 16 lowercase hex digits`);
    parts.push({ n, offset, size: psize, xxh64: h });
    expectOffset += psize;
  }
  if (expectOffset !== size) bad(`parts add up to ${expectOffset} bytes but "size" is ${size}`);
  const agent = o.agent as Record<string, unknown> | undefined;
  if (typeof agent !== 'object' || agent === null || agent.name !== 'snapstream' || typeof agent.version !== 'string') {
    bad('"agent" must be {"name":"snapstream","version":...}');
  }
  if (!Array.isArray(o.sendArgs) || o.sendArgs.length > 16 || !o.sendArgs.every((a) => typeof a === 'string' && a.length <= 1024)) {
    bad('"sendArgs" must be a short array of strings');
  }
  const guid = (k: string): string => {
    const v = str(k, 20);
    if (!DIGITS.test(v)) bad(`"${k}" must be a decimal string`);
    return v;
  };
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    backup: str('backup', 253),
    schedule: str('schedule', 253),
    volume: str('volume', 253),
    dataset: str('dataset', 255),
    snapshot: str('snapshot', 255),
    snapshotGuid: guid('snapshotGuid'),
    previousSnapshot: str('previousSnapshot', 255),
    previousSnapshotGuid: guid('previousSnapshotGuid'),
    previousBackup: str('previousBackup', 253),
    dataKey: str('dataKey'),
    size,
    hash: 'xxh64',
    streamHash,
    parts,
    startedAt: str('startedAt', 64),
    finishedAt: str('finishedAt', 64),
    agent: { name: 'snapstream', version: String((agent as Record<string, unknown>).version).slice(0, 64) },
    sendArgs: (o.sendArgs as string[]).slice(),
  };
}
