import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * One recipe chunk: what a stretch of the stream is made of, compressed (raw DEFLATE). Binary:
 *
 *   "SSR1" | u32 recordBytes | records | u32 segmentCount | segmentCount x (32-byte id | u32 size)
 *
 * `records` are the stream's bytes with the out-of-line payloads (WRITE, SPILL) cut out: every
 * 312-byte header verbatim (so ZFS's own checksums, per record on OpenZFS and in END, stay valid) and
 * the small in-line payloads (BEGIN nvlists, OBJECT bonus buffers, embedded blocks). The out-of-line
 * payloads of these records are, in order, exactly the listed segments laid end to end: a chunk always
 * ends at a segment boundary, so it restores on its own given its segments.
 */
const MAGIC = Buffer.from('SSR1', 'latin1');
/** Raw (uncompressed) chunk bytes that end a chunk at the next segment boundary. */
export const RECIPE_CHUNK_TARGET_BYTES = 4 * 1024 * 1024;
/** Refused when inflating: a chunk never holds more (target + one run of in-line records up to a boundary). */
export const RECIPE_CHUNK_MAX_RAW_BYTES = 64 * 1024 * 1024;

const MAX_SEGMENT_BYTES = 40 * 1024 * 1024;

export interface SegmentRef {
  id: string;
  size: number;
}

export interface RecipeChunk {
  records: Buffer;
  segments: SegmentRef[];
}

export function encodeRecipeChunk(records: Buffer[], recordBytes: number, segments: SegmentRef[]): Buffer {
  const head = Buffer.alloc(8);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(recordBytes, 4);
  const segs = Buffer.alloc(4 + segments.length * 36);
  segs.writeUInt32LE(segments.length, 0);
  segments.forEach((s, i) => {
    Buffer.from(s.id, 'hex').copy(segs, 4 + i * 36);
    segs.writeUInt32LE(s.size, 4 + i * 36 + 32);
  });
  return deflateRawSync(Buffer.concat([head, ...records, segs]), { level: 6 });
}

export function decodeRecipeChunk(stored: Buffer, what: string): RecipeChunk {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INTEGRITY_MISMATCH, `${what} is not a valid recipe chunk: ${why}`);
  };
  let raw: Buffer;
  try {
    raw = inflateRawSync(stored, { maxOutputLength: RECIPE_CHUNK_MAX_RAW_BYTES });
  } catch (e) {
    return bad(`it does not inflate (${(e as Error).message})`);
  }
  if (raw.length < 12 || !raw.subarray(0, 4).equals(MAGIC)) bad('no SSR1 magic');
  const recordBytes = raw.readUInt32LE(4);
  if (8 + recordBytes + 4 > raw.length) bad('its records run past its end');
  const records = raw.subarray(8, 8 + recordBytes);
  const at = 8 + recordBytes;
  const n = raw.readUInt32LE(at);
  if (at + 4 + n * 36 !== raw.length) bad(`it lists ${n} segments in ${raw.length - at - 4} bytes`);
  const segments: SegmentRef[] = [];
  for (let i = 0; i < n; i++) {
    const o = at + 4 + i * 36;
    const size = raw.readUInt32LE(o + 32);
    // Never more than one record (<= 32 MiB) beyond the 8 MiB segment cap: nothing larger is allocated.
    if (size === 0 || size > MAX_SEGMENT_BYTES) bad(`segment ${i + 1} claims ${size} bytes`);
    segments.push({ id: raw.toString('hex', o, o + 32), size });
  }
  return { records, segments };
}
