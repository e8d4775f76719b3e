import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SocketPipe } from '../../../src/exec/socket-pipe.js';
import { loadHasher } from '../../../src/model/hasher.js';
import { planParts } from '../../../src/plan/part-plan.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { uploadStream } from '../../../src/transfer/upload-stream.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const log = pino({ level: 'silent' });
const KiB = 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'socket-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `cat FILE` writing into a SocketPipe, as zfs send does in a backup. */
async function catInto(data: Buffer) {
  const file = path.join(dir, `d${data.length}`);
  writeFileSync(file, data);
  const pipe = await SocketPipe.open();
  const child = spawn('cat', [file], { stdio: ['ignore', pipe.childEnd, 'inherit'] });
  pipe.childEnd.destroy();
  return { pipe, exit: new Promise<number | null>((r) => child.on('close', r)) };
}

describe('uploadStream from a SocketPipe (bytes land in the part buffers)', () => {
  it.each([
    ['parts larger than a read', 3 * 1024 * KiB + 77, 1024 * KiB, 3],
    ['parts smaller than a read', 700 * KiB + 5, 10 * KiB, 2],
    ['one part in order', 300 * KiB, 64 * KiB, 1],
    ['an empty stream', 0, 64 * KiB, 2],
  ])('%s: reassembles byte for byte with the right hashes', async (_, size, partSize, concurrency) => {
    const data = randomBytes(size);
    const store = new MemoryStore();
    // A store that signs part SHA-256s (S3 over http): the digests come from the bytes as they landed.
    store.limits = { ...store.limits, wantsPartSha256: true };
    const signed = new Map<number, string | undefined>();
    store.onPart = (part) => {
      signed.set(part.number, part.sha256);
      return new Promise((r) => setTimeout(r, 2)); // a store slower than the source: backpressure
    };
    const up = await store.createUpload('obj');
    const ac = new AbortController();
    const { pipe, exit } = await catInto(data);
    const h = await loadHasher();
    const r = await uploadStream(pipe, {
      upload: up, limits: store.limits, plan: planParts({ limits: store.limits, partSize }), concurrency,
      hasher: h, meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
    });
    pipe.destroy();
    await up.complete();
    expect(await exit).toBe(0);
    expect(r.size).toBe(size);
    expect(store.objects.get('obj')!.equals(data)).toBe(true);
    expect(r.streamHash).toBe(h.hashHex(data));
    for (const p of r.parts) expect(p.xxh64).toBe(h.hashHex(data.subarray(p.offset, p.offset + p.size)));
    for (const p of r.parts) expect(signed.get(p.n)).toBe(createHash('sha256').update(data.subarray(p.offset, p.offset + p.size)).digest('hex'));
  });

  it('fails with ABORTED when aborted mid-stream', async () => {
    const data = randomBytes(2048 * KiB);
    const store = new MemoryStore();
    store.onPart = () => new Promise((r) => setTimeout(r, 50));
    const up = await store.createUpload('obj');
    const ac = new AbortController();
    const { pipe, exit } = await catInto(data);
    setTimeout(() => ac.abort(), 20);
    await expect(
      uploadStream(pipe, {
        upload: up, limits: store.limits, plan: planParts({ limits: store.limits, partSize: 64 * KiB }), concurrency: 1,
        hasher: await loadHasher(), meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    pipe.destroy();
    await exit;
  });
});
