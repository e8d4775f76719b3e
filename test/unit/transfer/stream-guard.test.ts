import { describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../../src/errors.js';
import { guardStream } from '../../../src/transfer/stream-guard.js';
import { GUID_A, GUID_B, PLAIN_A, PROPS_A } from '../zstream/fixtures.js';

const exp = { toguid: GUID_A, fromguid: '', incremental: false, allowProperties: false };

function recorder() {
  const got: Buffer[] = [];
  return { got, sink: async (b: Buffer) => void got.push(Buffer.from(b)) };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof SnapstreamError ? e.code : String(e);
  }
}

describe('guardStream: nothing reaches zfs recv before the head is accepted', () => {
  it('holds small chunks until a whole header arrived, then passes everything through in order', async () => {
    const r = recorder();
    const g = guardStream(r.sink, exp, 'backup x');
    const stream = Buffer.concat([PLAIN_A, Buffer.from('rest of the stream')]);
    const chunk = Buffer.alloc(100);
    for (let i = 0; i < 300; i += 100) {
      stream.copy(chunk, 0, i, i + 100);
      await g.write(chunk.subarray(0, 100)); // the caller reuses its buffer
      expect(r.got).toEqual([]);
    }
    await g.write(stream.subarray(300));
    await g.end();
    expect(Buffer.concat(r.got).equals(stream)).toBe(true);
    expect(g.begin?.toguid).toBe(GUID_A);
  });

  it('refuses a -p stream with STREAM_REFUSED and never calls the sink', async () => {
    const r = recorder();
    const g = guardStream(r.sink, exp, 'backup x');
    await expect(g.write(PROPS_A)).rejects.toMatchObject({ code: ErrorCode.STREAM_REFUSED, message: expect.stringMatching(/--allow-stream-properties/) });
    expect(r.got).toEqual([]);
  });

  it('refuses a stream of another snapshot, and one too short to inspect', async () => {
    const r = recorder();
    expect(await code(guardStream(r.sink, { ...exp, toguid: GUID_B }, 'b').write(PLAIN_A))).toBe(ErrorCode.STREAM_REFUSED);
    const g = guardStream(r.sink, exp, 'b');
    await g.write(PLAIN_A.subarray(0, 200));
    expect(await code(g.end())).toBe(ErrorCode.STREAM_REFUSED);
    expect(r.got).toEqual([]);
  });

  it('passes a compound stream when allowed', async () => {
    const r = recorder();
    const g = guardStream(r.sink, { ...exp, allowProperties: true }, 'b');
    await g.write(PROPS_A);
    await g.end();
    expect(Buffer.concat(r.got).equals(PROPS_A)).toBe(true);
  });
});
