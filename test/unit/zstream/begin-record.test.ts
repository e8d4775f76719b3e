import { describe, expect, it } from 'vitest';
import { inspectBegin, streamByteOrder } from '../../../src/zstream/index.js';
import { GUID_A, GUID_B, INCR_A_B, PLAIN_A, PROPS_A } from './fixtures.js';

/** Swaps every field of a little-endian BEGIN header into big-endian, as a big-endian sender writes it. */
function byteswapBegin(le: Buffer): Buffer {
  const be = Buffer.from(le);
  for (const [at, size] of [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 4], [36, 4], [40, 8], [48, 8]] as const) {
    le.subarray(at, at + size).copy(be, at);
    be.subarray(at, at + size).reverse();
  }
  return be;
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
