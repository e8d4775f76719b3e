import { describe, expect, it } from 'vitest';
import { DRR_HEADER_BYTES, RecordType, decodeRecordHeader } from '../../../src/zstream/index.js';
import { PROPS_A } from './fixtures.js';

function header(type: number, fields: Array<[number, number, bigint | number]>): Buffer {
  const b = Buffer.alloc(DRR_HEADER_BYTES);
  b.writeUInt32LE(type, 0);
  for (const [at, size, v] of fields) {
    if (size === 1) b.writeUInt8(Number(v), at);
    else if (size === 4) b.writeUInt32LE(Number(v), at);
    else b.writeBigUInt64LE(BigInt(v), at);
  }
  return b;
}

describe('record header payload rules', () => {
  it('OBJECT: raw_bonuslen, else bonuslen rounded up to 8', () => {
    expect(decodeRecordHeader(header(RecordType.OBJECT, [[28, 4, 13]]), 'le').payloadBytes).toBe(16);
    expect(decodeRecordHeader(header(RecordType.OBJECT, [[28, 4, 13], [36, 4, 48]]), 'le').payloadBytes).toBe(48);
  });
  it('WRITE: logical size, or compressed size when compressed', () => {
    expect(decodeRecordHeader(header(RecordType.WRITE, [[32, 8, 131072], [40, 8, 7n]]), 'le')).toMatchObject({ payloadBytes: 131072, toguid: '7' });
    expect(decodeRecordHeader(header(RecordType.WRITE, [[32, 8, 131072], [50, 1, 15], [96, 8, 4096]]), 'le').payloadBytes).toBe(4096);
  });
  it('SPILL, WRITE_EMBEDDED, and records without payload', () => {
    expect(decodeRecordHeader(header(RecordType.SPILL, [[16, 8, 512]]), 'le').payloadBytes).toBe(512);
    expect(decodeRecordHeader(header(RecordType.SPILL, [[16, 8, 512], [40, 8, 100]]), 'le').payloadBytes).toBe(100);
    expect(decodeRecordHeader(header(RecordType.WRITE_EMBEDDED, [[52, 4, 33]]), 'le').payloadBytes).toBe(40);
    for (const t of [RecordType.FREEOBJECTS, RecordType.FREE, RecordType.END, RecordType.WRITE_BYREF, RecordType.OBJECT_RANGE, RecordType.REDACT]) {
      expect(decodeRecordHeader(header(t, [[4, 4, 999]]), 'le').payloadBytes).toBe(0);
    }
  });
  it('BEGIN: drr_payloadlen; unknown types are flagged', () => {
    expect(decodeRecordHeader(PROPS_A, 'le').payloadBytes).toBe(600);
    expect(decodeRecordHeader(PROPS_A.subarray(912), 'le')).toMatchObject({ type: RecordType.END, payloadBytes: 0 });
    expect(decodeRecordHeader(header(77, []), 'le')).toMatchObject({ known: false, payloadBytes: 0 });
    expect(() => decodeRecordHeader(Buffer.alloc(311), 'le')).toThrow(RangeError);
  });
});
