/**
 * The 312-byte record header of a ZFS send stream (OpenZFS include/sys/zfs_ioctl.h,
 * `dmu_replay_record_t`): `drr_type` u32 at 0, `drr_payloadlen` u32 at 4, a 304-byte union at 8.
 * Pure decoding of untrusted bytes: nothing here allocates from a length it reads. Offsets were
 * checked against zfs_ioctl.h and against the streams zfs-fuse 0.7 writes (tests use both).
 */
export const DRR_HEADER_BYTES = 312;
/** DMU_BACKUP_MAGIC: drr_begin.drr_magic, in the sender's byte order. */
export const DMU_BACKUP_MAGIC = 0x2f5bacbacn;
export const DMU_BACKUP_MAGIC_SWAPPED = 0xaccbbaf502000000n; // bswap64(0x2F5bacbac)

export const RecordType = {
  BEGIN: 0,
  OBJECT: 1,
  FREEOBJECTS: 2,
  WRITE: 3,
  FREE: 4,
  END: 5,
  WRITE_BYREF: 6,
  SPILL: 7,
  WRITE_EMBEDDED: 8,
  OBJECT_RANGE: 9,
  REDACT: 10,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];
const RECORD_TYPE_COUNT = 11;

export type ByteOrder = 'le' | 'be';

export interface RecordHeader {
  /** Raw drr_type; `known` tells whether it is one of RecordType. */
  type: number;
  known: boolean;
  /** Raw drr_payloadlen (meaningful for BEGIN only; other records' payloads derive from their fields). */
  drrPayloadLen: number;
  /** Bytes of payload that follow this header, by the per-type rules of zfs_ioctl.h. */
  payloadBytes: number;
  /** drr_toguid of the record (decimal string), "" for types without one. */
  toguid: string;
}

/** The byte order of a stream from its first (BEGIN) header, or undefined when the magic is not there. */
export function streamByteOrder(head: Uint8Array): ByteOrder | undefined {
  if (head.length < 16) return undefined;
  const v = view(head);
  const le = v.getBigUint64(8, true);
  if (le === DMU_BACKUP_MAGIC) return 'le';
  if (le === DMU_BACKUP_MAGIC_SWAPPED) return 'be';
  return undefined;
}

/** Where each type keeps drr_toguid in the union (absolute offsets in the header). */
const TOGUID_AT: Record<number, number> = {
  [RecordType.BEGIN]: 40,
  [RecordType.OBJECT]: 40,
  [RecordType.FREEOBJECTS]: 24,
  [RecordType.WRITE]: 40,
  [RecordType.FREE]: 32,
  [RecordType.END]: 40,
  [RecordType.WRITE_BYREF]: 32,
  [RecordType.SPILL]: 24,
  [RecordType.WRITE_EMBEDDED]: 32,
  [RecordType.OBJECT_RANGE]: 24,
  [RecordType.REDACT]: 32,
};

/**
 * Decodes one record header. Throws RangeError for fewer than 312 bytes; an unknown type is
 * returned with known=false and payloadBytes 0 (a walker must stop there).
 */
export function decodeRecordHeader(h: Uint8Array, order: ByteOrder): RecordHeader {
  if (h.length < DRR_HEADER_BYTES) throw new RangeError(`a record header is ${DRR_HEADER_BYTES} bytes, got ${h.length}`);
  const v = view(h);
  const le = order === 'le';
  const u32 = (at: number) => v.getUint32(at, le);
  const u64 = (at: number) => v.getBigUint64(at, le);
  const type = u32(0);
  const drrPayloadLen = u32(4);
  const known = type < RECORD_TYPE_COUNT;
  const toguidAt = TOGUID_AT[type];
  const toguid = toguidAt === undefined ? '' : u64(toguidAt).toString();
  return { type, known, drrPayloadLen, payloadBytes: known ? payloadBytesOf(type, h, v, le) : 0, toguid };
}

function payloadBytesOf(type: number, h: Uint8Array, v: DataView, le: boolean): number {
  const u32 = (at: number) => v.getUint32(at, le);
  const u64n = (at: number) => Number(v.getBigUint64(at, le)); // > 2^53 only in a hostile stream; the walker bounds it
  switch (type) {
    case RecordType.BEGIN:
      return u32(4);
    case RecordType.OBJECT: {
      // DRR_OBJECT_PAYLOAD_SIZE: drr_raw_bonuslen (u32 @36) if set, else drr_bonuslen (u32 @28) rounded up to 8.
      const raw = u32(36);
      return raw !== 0 ? raw : roundUp8(u32(28));
    }
    case RecordType.WRITE: {
      // DRR_WRITE_PAYLOAD_SIZE: drr_compressed_size (@96) if drr_compressiontype (u8 @50) != 0, else
      // drr_logical_size (@32; zfs-fuse's drr_length sits there and @50 is zero).
      return h[50] !== 0 ? u64n(96) : u64n(32);
    }
    case RecordType.SPILL: {
      // DRR_SPILL_PAYLOAD_SIZE: drr_compressed_size (@40) if non-zero, else drr_length (@16).
      const c = u64n(40);
      return c !== 0 ? c : u64n(16);
    }
    case RecordType.WRITE_EMBEDDED:
      // drr_psize (u32 @52) rounded up to 8.
      return roundUp8(u32(52));
    default:
      return 0;
  }
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
