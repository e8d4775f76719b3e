import { RecordType } from '../zstream/record-header.js';

/**
 * Where segments end. Pure; the splitter asks before adding each out-of-line payload (WRITE, SPILL).
 *
 * A ZFS send stream is not a byte stream that shifts: its payloads are blocks addressed by (object,
 * offset), in increasing order, and an unchanged block is byte-identical in the next send. So the cut
 * points are defined by block identity, not by a rolling hash over bytes (which would also cost a pass
 * over every byte): a segment ends before a block at a 1 MiB (ALIGN) boundary of its object, before the first
 * block of an object whose id hashes to the marker (and, for many small objects, once MIN is reached),
 * and never grows past MAX. Two sends of successive snapshots therefore cut at the same places except
 * right where blocks were added, removed or resized, and re-synchronise at the next boundary: a change
 * costs the changed blocks plus at most the rest of the one or two segments around it.
 */
export const SEGMENT_ALIGN_BYTES = 1024 * 1024;
export const SEGMENT_MIN_BYTES = 1024 * 1024;
export const SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
/** An object whose id hashes to 0 mod this starts a segment whatever the size (re-synchronises runs of small files). */
const OBJECT_MARK_MODULUS = 8;

export interface CutState {
  /** Payload bytes in the open segment. */
  bytes: number;
  /** Object of the last out-of-line payload; -1 before the first. */
  lastObject: number;
}

export interface BlockRef {
  type: number;
  object: number;
  offset: number;
  payloadBytes: number;
}

export function shouldCut(s: CutState, b: BlockRef, align = SEGMENT_ALIGN_BYTES): boolean {
  if (s.bytes === 0) return false;
  if (s.bytes + b.payloadBytes > SEGMENT_MAX_BYTES) return true;
  if (b.object !== s.lastObject) return s.bytes >= SEGMENT_MIN_BYTES || mix(b.object) % OBJECT_MARK_MODULUS === 0;
  return b.type === RecordType.WRITE && b.offset > 0 && b.offset % align === 0;
}

/** A cheap, fixed integer mix (object ids are small, sequential integers). */
function mix(n: number): number {
  let x = (n ^ (n / 2 ** 32)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
