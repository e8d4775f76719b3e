import { DRR_HEADER_BYTES, type ByteOrder, type RecordHeader, decodeRecordHeader, streamByteOrder } from './record-header.js';

export interface WalkedRecord {
  /** Offset of the record's header in the stream. */
  offset: number;
  header: RecordHeader;
}

/**
 * Walks a whole in-memory stream record by record, from headers alone (payload sizes by the
 * per-type rules). Stops with an Error at an unknown type or a payload running past the end, so a
 * caller never trusts a length beyond the bytes it has. For tests and tools; a streaming walker for
 * dedup can reuse decodeRecordHeader the same way.
 */
export function* walkRecords(stream: Uint8Array, order: ByteOrder | undefined = streamByteOrder(stream)): Generator<WalkedRecord> {
  if (order === undefined) throw new Error('not a ZFS send stream (no BEGIN magic)');
  let at = 0;
  while (at < stream.length) {
    if (stream.length - at < DRR_HEADER_BYTES) throw new Error(`truncated record header at ${at}`);
    const header = decodeRecordHeader(stream.subarray(at, at + DRR_HEADER_BYTES), order);
    if (!header.known) throw new Error(`unknown record type ${header.type} at ${at}`);
    const next = at + DRR_HEADER_BYTES + header.payloadBytes;
    if (next > stream.length) throw new Error(`record at ${at} (type ${header.type}) claims ${header.payloadBytes} payload bytes past the end`);
    yield { offset: at, header };
    at = next;
  }
}

