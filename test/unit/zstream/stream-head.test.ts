import { describe, expect, it } from 'vitest';
import { RecordType, checkStreamHead } from '../../../src/zstream/index.js';
import { GUID_A, GUID_B, INCR_A_B, PLAIN_A, PROPS_A } from './fixtures.js';

const exp = (o: Partial<Parameters<typeof checkStreamHead>[1]> = {}) => ({ toguid: GUID_A, fromguid: '', incremental: false, allowProperties: false, ...o });

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
