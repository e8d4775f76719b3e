import { ErrorCode, SnapstreamError } from '../errors.js';
import { checkManifestNames } from './manifest-names.js';
import { DEFAULT_MAX_PART_BYTES, maxPartBytes } from './max-part-size.js';
import { parseJsonObject } from './parse-json-object.js';
import { type ManifestDedup, parseManifestDedup } from './manifest-dedup.js';

/**
 * The manifest is the commit marker of a backup: written last, next to the stream object. A backup
 * without a manifest does not exist for listing or restore. It is parsed from untrusted bytes, so
 * parsing checks every field and every bound before anything is allocated from it.
 */
export const MANIFEST_FORMAT = 'snapstream.backup';
export const MANIFEST_VERSION = 1;
/**
 * Version 2: written when a key is configured. SHA-256 instead of XXH64, and optionally `encryption`
 * with each part's stored (ciphertext) offset and size. Version 1 manifests are still read.
 */
export const MANIFEST_VERSION_KEYED = 2;
export const MANIFEST_SUFFIX = '.snapstream.json';
/** Upper bound on a manifest's size: 10,000 parts at ~90 bytes each fit with a wide margin. */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
export const MANIFEST_MAX_PARTS = 10_000;
/** The default cap on a declared part's size (see max-part-size.ts; SNAPSTREAM_MAX_PART_SIZE). */
export const MAX_PART_BYTES = DEFAULT_MAX_PART_BYTES;
/** S3's object size limit; anything claiming more is hostile or corrupt. */
const MAX_STREAM_BYTES = 5 * 1024 ** 4;

export interface ManifestPart {
  /** 1-based part number. */
  n: number;
  offset: number;
  size: number;
  /** XXH64 of the part's bytes, 16 lowercase hex digits (hash "xxh64"). */
  xxh64?: string;
  /** SHA-256 of the part's stored bytes, 64 lowercase hex digits (hash "sha256"). */
  sha256?: string;
  /** Encrypted backups: where the part's ciphertext+tag sits in the object, and its length. */
  storedOffset?: number;
  storedSize?: number;
}

/** Client-side encryption of a backup (src/keys/part-cipher.ts). */
export interface ManifestEncryption {
  alg: 'aes-256-gcm';
  /** Id of the master key that wraps the data key (src/keys/keyring.ts masterKeyId). */
  keyId: string;
  /** The backup's random data key, AES-256-GCM-wrapped by the master key: base64 of iv|ct|tag. */
  wrappedKey: string;
  /** Bytes of the stored object (ciphertext + one tag per part). */
  storedSize: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION | typeof MANIFEST_VERSION_KEYED;
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
  /** Total stream bytes (plaintext). */
  size: number;
  hash: 'xxh64' | 'sha256';
  /** Digest of the whole stored object: `xxhsum -H1` (xxh64) or `sha256sum` (sha256) of it. */
  streamHash: string;
  /** Set when the parts are encrypted (version 2 only). */
  encryption?: ManifestEncryption;
  parts: ManifestPart[];
  startedAt: string;
  finishedAt: string;
  agent: { name: 'snapstream'; version: string };
  /** The zfs arguments that produced the stream, for audit. */
  sendArgs: string[];
  /**
   * Node (agent nodeName) that sent the stream. Optional: manifests written before it existed, and
   * CLI backups, have none; readers that do not know it ignore it (the format version stays 1).
   */
  node?: string;
  /**
   * h15-dedup: set when the backup is stored deduplicated (segments + recipe, src/dedup); then `parts`
   * is empty, no object exists at `dataKey`, and `size`/`streamHash` are of the rebuilt stream.
   */
  dedup?: ManifestDedup;
}

export function isIncremental(m: Pick<Manifest, 'previousSnapshot'>): boolean {
  return m.previousSnapshot !== '';
}

/** A part's recorded digest, whichever algorithm the manifest uses. */
export function partHashOf(p: ManifestPart): string {
  return p.sha256 ?? p.xxh64 ?? '';
}

/** Bytes of the stored object: the stream size, plus the tags of an encrypted one. */
export function storedSizeOf(m: Pick<Manifest, 'size' | 'encryption'>): number {
  return m.encryption ? m.encryption.storedSize : m.size;
}

/** AES-GCM tag bytes added to each encrypted part. */
export const PART_TAG_BYTES = 16;

export function manifestKeyFor(dataKey: string): string {
  return dataKey + MANIFEST_SUFFIX;
}

export function serializeManifest(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(m, null, 1) + '\n', 'utf8');
}

const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const DIGITS = /^[0-9]{0,20}$/;

/** Parses and validates a manifest; every failure is MANIFEST_INVALID naming the field. */
export function parseManifest(bytes: Buffer, where: string): Manifest {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `manifest ${where} is invalid: ${why}`, {
      details: { manifest: where },
    });
  };
  const o = parseJsonObject(bytes, MANIFEST_MAX_BYTES, MANIFEST_FORMAT, bad);
  if (o.version !== MANIFEST_VERSION && o.version !== MANIFEST_VERSION_KEYED) {
    bad(`"version" is ${JSON.stringify(o.version)}; this snapstream reads versions ${MANIFEST_VERSION} and ${MANIFEST_VERSION_KEYED} (upgrade snapstream)`);
  }
  const version = o.version as Manifest['version'];
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
  // Version 1 is always xxh64; version 2 always sha256, so a downgrade to xxh64 cannot hide in a v2.
  const hash = version === MANIFEST_VERSION ? 'xxh64' : 'sha256';
  if (o.hash !== hash) bad(`"hash" is ${JSON.stringify(o.hash)}, expected "${hash}" in a version ${version} manifest`);
  const hashRe = hash === 'xxh64' ? HEX16 : HEX64;
  const hashWhat = hash === 'xxh64' ? '16 lowercase hex digits' : '64 lowercase hex digits';
  const streamHash = str('streamHash', 64);
  if (!hashRe.test(streamHash)) bad(`"streamHash" must be ${hashWhat}`);
  const encryption = version === MANIFEST_VERSION_KEYED && o.encryption !== undefined ? parseEncryption(o.encryption, bad) : undefined;
  if (version === MANIFEST_VERSION && o.encryption !== undefined) bad('"encryption" needs a version 2 manifest');
  if (!Array.isArray(o.parts)) return bad('"parts" must be an array');
  if (o.parts.length > MANIFEST_MAX_PARTS) bad(`"parts" has ${o.parts.length} entries, more than ${MANIFEST_MAX_PARTS}`);
  const dedup = o.dedup !== undefined ? parseManifestDedup(o.dedup, bad) : undefined;
  if (dedup && (o.parts.length > 0 || encryption)) bad('a "dedup" backup has no "parts" and no "encryption" block');
  if (size > 0 && o.parts.length === 0 && !dedup) bad('"parts" is empty but "size" is not 0');
  const parts: ManifestPart[] = [];
  let expectOffset = 0;
  for (let i = 0; i < o.parts.length; i++) {
    const p = o.parts[i] as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null) return bad(`parts[${i}] must be an object`);
    const n = int(p.n, `parts[${i}].n`, MANIFEST_MAX_PARTS);
    if (n !== i + 1) bad(`parts[${i}].n is ${n}, expected ${i + 1}`);
    const offset = int(p.offset, `parts[${i}].offset`, MAX_STREAM_BYTES);
    if (offset !== expectOffset) bad(`parts[${i}].offset is ${offset}, expected ${expectOffset} (parts must be contiguous)`);
    const psize = int(p.size, `parts[${i}].size`, maxPartBytes());
    if (psize === 0 && size !== 0) bad(`parts[${i}].size is 0`);
    const h = p[hash];
    if (typeof h !== 'string' || !hashRe.test(h)) return bad(`parts[${i}].${hash} must be ${hashWhat}`);
    const part: ManifestPart = hash === 'xxh64' ? { n, offset, size: psize, xxh64: h } : { n, offset, size: psize, sha256: h };
    if (encryption) {
      // Each part's ciphertext is its plaintext plus one tag, laid end to end: anything else is forged.
      const so = int(p.storedOffset, `parts[${i}].storedOffset`, MAX_STREAM_BYTES);
      const ss = int(p.storedSize, `parts[${i}].storedSize`, 5 * 1024 ** 3 + PART_TAG_BYTES);
      if (so !== offset + i * PART_TAG_BYTES) bad(`parts[${i}].storedOffset is ${so}, expected ${offset + i * PART_TAG_BYTES}`);
      if (ss !== psize + PART_TAG_BYTES) bad(`parts[${i}].storedSize is ${ss}, expected ${psize + PART_TAG_BYTES}`);
      part.storedOffset = so;
      part.storedSize = ss;
    }
    parts.push(part);
    expectOffset += psize;
  }
  if (expectOffset !== size && !dedup) bad(`parts add up to ${expectOffset} bytes but "size" is ${size}`);
  if (encryption && encryption.storedSize !== size + parts.length * PART_TAG_BYTES) {
    bad(`"encryption.storedSize" is ${encryption.storedSize}, expected ${size + parts.length * PART_TAG_BYTES}`);
  }
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
  let node: string | undefined;
  if (o.node !== undefined) {
    node = str('node', 253);
    // A Kubernetes node name (DNS subdomain) or any short printable name; never control characters.
    if (!/^[A-Za-z0-9._:-]*$/.test(node)) bad('"node" may only contain letters, digits and "._:-"');
  }
  const m: Manifest = {
    ...(node ? { node } : {}),
    format: MANIFEST_FORMAT,
    version,
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
    hash,
    streamHash,
    ...(encryption ? { encryption } : {}),
    parts,
    startedAt: str('startedAt', 64),
    finishedAt: str('finishedAt', 64),
    agent: { name: 'snapstream', version: String((agent as Record<string, unknown>).version).slice(0, 64) },
    sendArgs: (o.sendArgs as string[]).slice(),
    ...(dedup ? { dedup } : {}),
  };
  checkManifestNames(m, where);
  return m;
}

function parseEncryption(v: unknown, bad: (why: string) => never): ManifestEncryption {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('"encryption" must be an object');
  const e = v as Record<string, unknown>;
  if (e.alg !== 'aes-256-gcm') bad(`"encryption.alg" is ${JSON.stringify(e.alg)}, expected "aes-256-gcm"`);
  if (typeof e.keyId !== 'string' || !HEX16.test(e.keyId)) bad('"encryption.keyId" must be 16 lowercase hex digits');
  // 12-byte IV + 32-byte key + 16-byte tag = 60 bytes = 80 base64 characters.
  if (typeof e.wrappedKey !== 'string' || !/^[A-Za-z0-9+/]{80}$/.test(e.wrappedKey)) bad('"encryption.wrappedKey" must be 80 base64 characters');
  const ss = e.storedSize;
  if (typeof ss !== 'number' || !Number.isSafeInteger(ss) || ss < 0 || ss > MAX_STREAM_BYTES + MANIFEST_MAX_PARTS * PART_TAG_BYTES) {
    bad('"encryption.storedSize" must be a byte count');
  }
  return { alg: 'aes-256-gcm', keyId: e.keyId as string, wrappedKey: e.wrappedKey as string, storedSize: ss as number };
}
