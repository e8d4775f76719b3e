import { describe, expect, it } from 'vitest';
import {
  DRR_HEADER_BYTES,
  RecordType,
  checkStreamHead,
  decodeRecordHeader,
  inspectBegin,
  streamByteOrder,
} from '../../../src/zstream/index.js';
import { GUID_A, GUID_B, INCR_A_B, PLAIN_A, PROPS_A } from './fixtures.js';

const exp = (o: Partial<Parameters<typeof checkStreamHead>[1]> = {}) => ({ toguid: GUID_A, fromguid: '', incremental: false, allowProperties: false, ...o });

/** Swaps every field of a little-endian BEGIN header into big-endian, as a big-endian sender writes it. */
function byteswapBegin(le: Buffer): Buffer {
  const be = Buffer.from(le);
  for (const [at, size] of [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 4], [36, 4], [40, 8], [48, 8]] as const) {
    le.subarray(at, at + size).copy(be, at);
    be.subarray(at, at + size).reverse();
  }
  return be;
}

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

describe('BEGIN record of real zfs-fuse streams', () => {
  it('reads a plain full stream: substream, no payload, toguid, fromguid 0, toname', () => {
    const r = inspectBegin(PLAIN_A);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.begin).toMatchObject({ byteOrder: 'le', kind: 'substream', headerType: 1, featureFlags: 0, payloadBytes: 0, objsetType: 2, toguid: GUID_A, fromguid: '0', toname: 'h10hx/src@a' });
  });

  it('reads an incremental stream: fromguid is the base snapshot guid', () => {
    const r = inspectBegin(INCR_A_B);
    expect(r.ok && r.begin).toMatchObject({ kind: 'substream', toguid: GUID_B, fromguid: GUID_A, toname: 'h10hx/src@b' });
  });

  it('reads a -p stream as compound with a 600-byte nvlist payload', () => {
    const r = inspectBegin(PROPS_A);
    expect(r.ok && r.begin).toMatchObject({ kind: 'compound', headerType: 2, payloadBytes: 600, toguid: '0' });
    // the nvlist carries the hostile properties
    expect(PROPS_A.subarray(312, 912).toString('latin1')).toContain('/tmp/h10h-mp');
  });

  it('detects the byte order from drr_magic, swapped streams included', () => {
    expect(streamByteOrder(PLAIN_A)).toBe('le');
    const be = byteswapBegin(PLAIN_A);
    expect(streamByteOrder(be)).toBe('be');
    const r = inspectBegin(be);
    expect(r.ok && r.begin).toMatchObject({ byteOrder: 'be', kind: 'substream', toguid: GUID_A, toname: 'h10hx/src@a' });
    expect(streamByteOrder(Buffer.alloc(312))).toBeUndefined();
  });

  it('escapes control characters in toname', () => {
    const b = Buffer.from(PLAIN_A);
    b.fill(0, 56, 312);
    Buffer.from('pool/\x1b]0;x\x07@s', 'latin1').copy(b, 56);
    const r = inspectBegin(b);
    expect(r.ok && r.begin.toname).toBe('pool/?]0;x?@s');
  });
});

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

describe('checkStreamHead', () => {
  it('accepts the plain stream the manifest describes', () => {
    expect(checkStreamHead(PLAIN_A, exp())).toMatchObject({ verdict: 'accept', compound: false });
    expect(checkStreamHead(INCR_A_B, exp({ toguid: GUID_B, fromguid: GUID_A, incremental: true })).verdict).toBe('accept');
  });

  it('asks for more until a whole header is there', () => {
    expect(checkStreamHead(PLAIN_A.subarray(0, 100), exp())).toEqual({ verdict: 'more', needBytes: 312 });
  });

  it('refuses a -p (compound) stream unless allowed', () => {
    const v = checkStreamHead(PROPS_A, exp());
    expect(v.verdict).toBe('refuse');
    expect(v.verdict === 'refuse' && v.reason).toMatch(/compound stream .*mountpoint, setuid and devices/);
  });

  it('with properties allowed, checks the first substream of a compound stream', () => {
    expect(checkStreamHead(PROPS_A.subarray(0, 1000), exp({ allowProperties: true }))).toEqual({ verdict: 'more', needBytes: 1536 });
    expect(checkStreamHead(PROPS_A, exp({ allowProperties: true }))).toMatchObject({ verdict: 'accept', compound: true, begin: { toguid: GUID_A } });
    expect(checkStreamHead(PROPS_A, exp({ allowProperties: true, toguid: GUID_B })).verdict).toBe('refuse');
  });

  it('refuses a substream that carries a BEGIN payload', () => {
    const b = Buffer.from(PLAIN_A);
    b.writeUInt32LE(64, 4);
    expect(checkStreamHead(b, exp())).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/64-byte payload/) });
  });

  it('refuses a stream of another snapshot, or of the wrong kind, than the manifest says', () => {
    expect(checkStreamHead(PLAIN_A, exp({ toguid: GUID_B }))).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/another snapshot/) });
    expect(checkStreamHead(INCR_A_B, exp({ toguid: GUID_B, incremental: false }))).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/incremental stream/) });
    expect(checkStreamHead(PLAIN_A, exp({ incremental: true }))).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/full stream/) });
    expect(checkStreamHead(INCR_A_B, exp({ toguid: GUID_B, fromguid: '42', incremental: true }))).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/base guid 42/) });
  });

  it('refuses what is not a BEGIN with a valid magic', () => {
    expect(checkStreamHead(Buffer.alloc(312, 0x41), exp()).verdict).toBe('refuse');
    const notBegin = Buffer.from(PLAIN_A);
    notBegin.writeUInt32LE(RecordType.WRITE, 0);
    expect(checkStreamHead(notBegin, exp())).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/not BEGIN/) });
    const unknownHeader = Buffer.from(PLAIN_A);
    unknownHeader.writeUInt8(3, 16);
    expect(checkStreamHead(unknownHeader, exp())).toMatchObject({ verdict: 'refuse', reason: expect.stringMatching(/unknown header type/) });
  });

  it('skips guid checks the manifest cannot make (unknown guids, legacy objects)', () => {
    expect(checkStreamHead(INCR_A_B, { toguid: '', fromguid: '', allowProperties: false }).verdict).toBe('accept');
  });
});
