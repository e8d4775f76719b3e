import { DRR_HEADER_BYTES, RecordType, type ByteOrder, decodeRecordHeader, streamByteOrder } from './record-header.js';

/** drr_versioninfo's low two bits. */
export const HeaderType = { SUBSTREAM: 1, COMPOUNDSTREAM: 2 } as const;

export interface BeginInfo {
  byteOrder: ByteOrder;
  /** "substream" (a plain `zfs send`), "compound" (`-R`/`-p`: carries properties), or "unknown". */
  kind: 'substream' | 'compound' | 'unknown';
  /** Raw header type bits of drr_versioninfo. */
  headerType: number;
  /** DMU_BACKUP_FEATURE_* bits (drr_versioninfo bits 2..31). */
  featureFlags: number;
  /** drr_payloadlen: bytes of nvlist after the header (compound or resumable streams), 0 for none. */
  payloadBytes: number;
  creationTime: number;
  /** drr_begin.drr_type: the objset type (2 = ZFS filesystem, 3 = zvol). */
  objsetType: number;
  drrFlags: number;
  /** Decimal strings; "0" when absent (a full stream has fromguid 0; a compound header has toguid 0). */
  toguid: string;
  fromguid: string;
  /** drr_toname up to its first NUL, control characters replaced (it is untrusted text). */
  toname: string;
}

export type BeginResult = { ok: true; begin: BeginInfo } | { ok: false; reason: string };

/**
 * Reads the BEGIN record at the start of `head` (at least 312 bytes). Union layout (offsets from the
 * record's start): drr_magic u64 @8, drr_versioninfo u64 @16, drr_creation_time u64 @24, drr_type
 * u32 @32, drr_flags u32 @36, drr_toguid u64 @40, drr_fromguid u64 @48, drr_toname char[256] @56.
 */
export function inspectBegin(head: Uint8Array): BeginResult {
  if (head.length < DRR_HEADER_BYTES) return { ok: false, reason: `the stream is shorter than one record header (${head.length} of ${DRR_HEADER_BYTES} bytes)` };
  const order = streamByteOrder(head);
  if (order === undefined) return { ok: false, reason: 'it does not start with a ZFS send stream BEGIN record (no DMU_BACKUP_MAGIC at byte 8)' };
  const rec = decodeRecordHeader(head, order);
  if (rec.type !== RecordType.BEGIN) return { ok: false, reason: `its first record is of type ${rec.type}, not BEGIN (0)` };
  const v = new DataView(head.buffer, head.byteOffset, DRR_HEADER_BYTES);
  const le = order === 'le';
  const versioninfo = v.getBigUint64(16, le);
  const headerType = Number(versioninfo & 3n);
  const nameBytes = head.subarray(56, 56 + 256);
  const nul = nameBytes.indexOf(0);
  return {
    ok: true,
    begin: {
      byteOrder: order,
      kind: headerType === HeaderType.SUBSTREAM ? 'substream' : headerType === HeaderType.COMPOUNDSTREAM ? 'compound' : 'unknown',
      headerType,
      featureFlags: Number((versioninfo >> 2n) & 0x3fffffffn),
      payloadBytes: rec.drrPayloadLen,
      creationTime: Number(v.getBigUint64(24, le)),
      objsetType: v.getUint32(32, le),
      drrFlags: v.getUint32(36, le),
      toguid: v.getBigUint64(40, le).toString(),
      fromguid: v.getBigUint64(48, le).toString(),
      // eslint-disable-next-line no-control-regex
      toname: Buffer.from(nul >= 0 ? nameBytes.subarray(0, nul) : nameBytes).toString('latin1').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'),
    },
  };
}
