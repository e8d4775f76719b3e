import { inspectBegin } from '../zstream/begin-record.js';
import { DRR_HEADER_BYTES, type ByteOrder, RecordType, decodeRecordHeader, streamByteOrder } from '../zstream/record-header.js';
import { RECIPE_CHUNK_TARGET_BYTES, type SegmentRef, encodeRecipeChunk } from './recipe.js';
import { type CutState, SEGMENT_MAX_BYTES, shouldCut } from './segment-cut.js';

/** The stream cannot be stored deduplicated (the caller falls back to the plain layout and says why). */
export class DedupUnsupported extends Error {}

/**
 * DMU_BACKUP_FEATURE_* bits whose records this splitter knows how to size (zfs_ioctl.h): DEDUP,
 * DEDUPPROPS, SA_SPILL, EMBED_DATA, LZ4, LARGE_BLOCKS, RESUMING, REDACTED, COMPRESSED, LARGE_DNODE,
 * RAW, ZSTD, HOLDS. Any other bit may change the record layout: such a stream is stored plain.
 */
const KNOWN_FEATURES = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 16) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
/** A record claiming more payload than this is refused (OpenZFS blocks are at most 16 MiB). */
export const MAX_RECORD_PAYLOAD_BYTES = 32 * 1024 * 1024;

export interface ClosedSegment {
  id: string;
  data: Buffer;
  size: number;
}

export interface SplitterHooks {
  /** Content id of a segment's bytes (codec.idOf). */
  idOf(data: Uint8Array): string;
  /** A buffer of at least `size` bytes for the next segment (the caller's pool). */
  alloc(size: number): Buffer;
  /** A segment is complete: upload it (the buffer is the caller's again afterwards). */
  segment(s: ClosedSegment): void;
  /** A recipe chunk is complete (compressed). */
  chunk(encoded: Buffer, rawBytes: number): void;
}

/**
 * Splits a send stream, as it arrives, into recipe chunks and segments, from headers alone: WRITE
 * and SPILL payloads go to segments (cut by segment-cut.ts), everything else (headers, small in-line
 * payloads) to the recipe. `push` consumes at most up to one closed segment per call, so the caller
 * can wait for a free buffer between calls: memory is bounded by the caller's pool.
 */
export class StreamSplitter {
  private order: ByteOrder | undefined;
  private readonly hdr = Buffer.alloc(DRR_HEADER_BYTES);
  private hdrFill = 0;
  /** Bytes of payload still to copy for the current record, and where they go. */
  private left = 0;
  private dest: 'inline' | 'segment' = 'inline';
  private inlineBuf: Buffer | undefined;
  private inlineFill = 0;
  private seg: Buffer | undefined;
  private cut: CutState = { bytes: 0, lastObject: -1 };
  private records: Buffer[] = [];
  private recordBytes = 0;
  private segments: SegmentRef[] = [];
  private lastType = -1;
  recordCount = 0;
  /** Out-of-line payload bytes, and the whole stream's bytes. */
  segmentBytes = 0;
  streamBytes = 0;

  constructor(private readonly hooks: SplitterHooks) {}

  /** Consumes bytes of `b` from `at`; returns where it stopped (b.length when all were used). */
  push(b: Buffer, at = 0): number {
    let closed = false;
    while (at < b.length && !closed) {
      if (this.left > 0) {
        const n = Math.min(this.left, b.length - at);
        if (this.dest === 'segment') {
          b.copy(this.seg!, this.cut.bytes, at, at + n);
          this.cut.bytes += n;
          this.segmentBytes += n;
        } else {
          b.copy(this.inlineBuf!, this.inlineFill, at, at + n);
          this.inlineFill += n;
        }
        this.left -= n;
        at += n;
        this.streamBytes += n;
        if (this.left === 0 && this.dest === 'inline') this.addRecordBytes(this.inlineBuf!);
        continue;
      }
      const n = Math.min(DRR_HEADER_BYTES - this.hdrFill, b.length - at);
      b.copy(this.hdr, this.hdrFill, at, at + n);
      this.hdrFill += n;
      at += n;
      this.streamBytes += n;
      if (this.hdrFill < DRR_HEADER_BYTES) continue;
      this.hdrFill = 0;
      closed = this.onHeader();
    }
    return at;
  }

  /** Returns true when a segment was closed. */
  private onHeader(): boolean {
    if (this.order === undefined) {
      this.order = streamByteOrder(this.hdr);
      const begin = inspectBegin(this.hdr);
      if (!this.order || !begin.ok) throw new DedupUnsupported(begin.ok ? 'not a ZFS send stream' : begin.reason);
      const unknown = begin.begin.featureFlags & ~KNOWN_FEATURES;
      if (unknown !== 0) throw new DedupUnsupported(`the stream uses send features the dedup layout does not know (DMU_BACKUP_FEATURE bits 0x${(unknown >>> 0).toString(16)})`);
    }
    const h = decodeRecordHeader(this.hdr, this.order);
    if (!h.known) throw new DedupUnsupported(`record type ${h.type} at byte ${this.streamBytes - DRR_HEADER_BYTES} is unknown to the dedup layout`);
    if (h.payloadBytes > MAX_RECORD_PAYLOAD_BYTES) throw new DedupUnsupported(`a record of type ${h.type} claims ${h.payloadBytes} payload bytes`);
    this.recordCount++;
    this.lastType = h.type;
    const header = Buffer.from(this.hdr);
    const external = (h.type === RecordType.WRITE || h.type === RecordType.SPILL) && h.payloadBytes > 0;
    let closed = false;
    if (external) {
      const le = this.order === 'le';
      const object = Number(le ? header.readBigUInt64LE(8) : header.readBigUInt64BE(8));
      const offset = h.type === RecordType.WRITE ? Number(le ? header.readBigUInt64LE(24) : header.readBigUInt64BE(24)) : 0;
      if (shouldCut(this.cut, { type: h.type, object, offset, payloadBytes: h.payloadBytes })) {
        this.closeSegment();
        closed = true;
      }
      this.cut.lastObject = object;
      if (!this.seg) this.seg = this.hooks.alloc(Math.max(SEGMENT_MAX_BYTES, h.payloadBytes));
      else if (this.cut.bytes + h.payloadBytes > this.seg.length) {
        // Only a record larger than MAX alone in its segment gets here (shouldCut closed the others).
        this.closeSegment();
        closed = true;
        this.seg = this.hooks.alloc(Math.max(SEGMENT_MAX_BYTES, h.payloadBytes));
      }
      this.addRecordBytes(header);
      this.dest = 'segment';
      this.left = h.payloadBytes;
      return closed;
    }
    this.addRecordBytes(header);
    if (h.payloadBytes > 0) {
      this.dest = 'inline';
      this.inlineBuf = Buffer.allocUnsafe(h.payloadBytes);
      this.inlineFill = 0;
      this.left = h.payloadBytes;
    }
    return false;
  }

  private addRecordBytes(b: Buffer): void {
    this.records.push(b);
    this.recordBytes += b.length;
  }

  private closeSegment(flushBigChunk = true): void {
    if (!this.seg || this.cut.bytes === 0) return;
    const size = this.cut.bytes;
    const data = this.seg;
    const id = this.hooks.idOf(data.subarray(0, size));
    this.segments.push({ id, size });
    this.seg = undefined;
    this.cut.bytes = 0;
    this.hooks.segment({ id, data, size });
    if (flushBigChunk && this.recordBytes >= RECIPE_CHUNK_TARGET_BYTES) this.flushChunk();
  }

  private flushChunk(): void {
    this.hooks.chunk(encodeRecipeChunk(this.records, this.recordBytes, this.segments), this.recordBytes);
    this.records = [];
    this.recordBytes = 0;
    this.segments = [];
  }

  /** The stream ended: closes the last segment and chunk. Throws when it ended inside a record or not after END. */
  finish(): void {
    if (this.left > 0 || this.hdrFill > 0) throw new DedupUnsupported(`the stream ends inside a record (after ${this.streamBytes} bytes)`);
    if (this.lastType !== RecordType.END) throw new DedupUnsupported(`the stream does not end with an END record (last record type ${this.lastType})`);
    this.closeSegment(false);
    this.flushChunk();
  }
}
