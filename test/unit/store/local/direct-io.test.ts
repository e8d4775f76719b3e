import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../../../src/store/local/local-store.js';
import { directIoFrom, openDirectTwin } from '../../../../src/store/local/direct-io.js';
import { readStoreEnv } from '../../../../src/store/store-env.js';
import { allocAligned } from '../../../../src/util/aligned-buffer.js';
import { enforcesDirectIo, misaligned } from '../../../helpers/direct-io-probe.js';

// /var/tmp, not os.tmpdir(): it is on a disk filesystem, where O_DIRECT bypasses the page cache and
// insists on alignment (tmpfs takes O_DIRECT as a no-op, which would make these tests unable to fail).
const BASE = '/var/tmp';

/** Bytes of `file` resident in the page cache (util-linux fincore). */
function cachedBytes(file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim());
}

const KIB = 1024;

/** util-linux-extra's fincore (.ci/run installs it): the page-cache residency checks need it. */
const HAS_FINCORE = spawnSync('fincore', ['--version']).status === 0;

const RESIDENCY = HAS_FINCORE && enforcesDirectIo(BASE);
if (!RESIDENCY) console.warn(`direct-io.test: page-cache residency checks skipped (${HAS_FINCORE ? `${BASE} does not enforce O_DIRECT` : 'fincore (util-linux-extra) missing'})`);

describe('local store direct I/O', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });
  const tempStoreDir = async () => {
    const d = await fs.mkdtemp(path.join(BASE, 'sstest-direct-'));
    dirs.push(d);
    return d;
  };

  /** Three 64 KiB parts and a short last one, each in a page-aligned buffer as the BufferPool gives them. */
  const alignedParts = () => [64 * KIB, 64 * KIB, 64 * KIB, 10_000].map((n) => {
    const b = allocAligned(n);
    randomBytes(n).copy(b);
    return b;
  });
  const upload = async (store: LocalStore, key: string, parts: Buffer[]) => {
    const up = await store.createUpload(key);
    let offset = 0;
    const jobs = parts.map((data, i) => {
      const p = up.uploadPart({ number: i + 1, offset, data });
      offset += data.length;
      return p;
    });
    await Promise.all(jobs);
    await up.complete({ size: offset });
  };

  it.skipIf(!RESIDENCY)('parts from page-aligned buffers are written past the page cache, and the object is exact', async () => {
    const dir = await tempStoreDir();
    const parts = alignedParts();
    await upload(new LocalStore(dir), 'd/direct', parts);
    const file = path.join(dir, 'd/direct');
    expect((await fs.readFile(file)).equals(Buffer.concat(parts))).toBe(true);
    // readFile above went through the cache; a fresh object tells how it was written.
    await upload(new LocalStore(dir), 'd/direct2', parts);
    // Only the short last part (10,000 bytes: its pages) went through the page cache.
    expect(cachedBytes(path.join(dir, 'd/direct2'))).toBeLessThanOrEqual(16 * KIB);
    // The same upload with direct I/O off leaves the whole object in the cache: the check above can fail.
    await upload(new LocalStore(dir, { directIo: false }), 'd/buffered', parts);
    expect(cachedBytes(path.join(dir, 'd/buffered'))).toBeGreaterThanOrEqual(3 * 64 * KIB);
  });

  it.skipIf(!RESIDENCY)('a part in an unaligned buffer (refused by O_DIRECT) still lands exactly, through the page cache', async () => {
    const dir = await tempStoreDir();
    // One byte into a page: O_DIRECT refuses it (a malloc buffer would too, except when it lands on a page by chance).
    const parts = [64 * KIB, 64 * KIB, 5000].map((n) => {
      const b = misaligned(n);
      randomBytes(n).copy(b);
      return b;
    });
    await upload(new LocalStore(dir), 'd/unaligned', parts);
    const file = path.join(dir, 'd/unaligned');
    expect(cachedBytes(file)).toBeGreaterThanOrEqual(2 * 64 * KIB);
    expect((await fs.readFile(file)).equals(Buffer.concat(parts))).toBe(true);
  });

  it.skipIf(!RESIDENCY)('getInto reads the aligned head of a range past the page cache and the tail through it, exactly', async () => {
    const dir = await tempStoreDir();
    const parts = alignedParts();
    const whole = Buffer.concat(parts);
    await upload(new LocalStore(dir), 'd/read', parts);
    const file = path.join(dir, 'd/read');
    const store = new LocalStore(dir);
    // A part-sized range, the ragged end of the object, and a range longer than what is left.
    for (const range of [{ offset: 64 * KIB, length: 64 * KIB }, { offset: 192 * KIB, length: 10_000 }, { offset: 128 * KIB, length: 100 * KIB }]) {
      const into = allocAligned(range.length);
      const got = await store.getInto('d/read', range, into);
      const want = whole.subarray(range.offset, range.offset + range.length);
      expect(got).toBe(want.length);
      expect(into.subarray(0, got).equals(want)).toBe(true);
    }
    expect(cachedBytes(file)).toBeLessThanOrEqual(16 * KIB);
    // Unaligned buffer and offset: refused or not aligned, read through the cache, still exact.
    const odd = misaligned(70_000);
    expect(await store.getInto('d/read', { offset: 4097, length: 70_000 }, odd)).toBe(70_000);
    expect(odd.equals(whole.subarray(4097, 4097 + 70_000))).toBe(true);
    // With direct I/O off the same reads fill the cache: the residency check above can fail.
    await new LocalStore(dir, { directIo: false }).getInto('d/read', { offset: 0, length: 192 * KIB }, allocAligned(192 * KIB));
    expect(cachedBytes(file)).toBeGreaterThanOrEqual(192 * KIB);
  });

  it.skipIf(!RESIDENCY)('the twin handle is the same file, opened with O_DIRECT', async () => {
    const dir = await tempStoreDir();
    const f = path.join(dir, 'x');
    const h = await fs.open(f, 'w');
    const twin = await openDirectTwin(h, 'write');
    expect(twin).toBeDefined();
    const [a, b] = await Promise.all([h.stat(), twin!.stat()]);
    expect(b.ino).toBe(a.ino);
    // An unaligned buffer is refused: the flag really is set on the twin.
    await expect(twin!.write(misaligned(4096), 0, 4096, 0)).rejects.toMatchObject({ code: 'EINVAL' });
    await twin!.close();
    await h.close();
    expect(constants.O_DIRECT).toBeGreaterThan(0);
  });

  it('objects are exact whichever way each part went (aligned, unaligned, ragged tail; direct on and off)', async () => {
    const dir = await tempStoreDir();
    const parts = [...alignedParts(), randomBytes(8192), randomBytes(777)];
    const whole = Buffer.concat(parts);
    for (const directIo of [true, false]) {
      const store = new LocalStore(dir, { directIo });
      await upload(store, `d/exact-${directIo}`, parts);
      expect((await fs.readFile(path.join(dir, `d/exact-${directIo}`))).equals(whole)).toBe(true);
      const into = allocAligned(whole.length);
      expect(await store.getInto(`d/exact-${directIo}`, { offset: 0, length: whole.length }, into)).toBe(whole.length);
      expect(into.equals(whole)).toBe(true);
    }
  });

  it('SNAPSTREAM_LOCAL_DIRECT_IO=false turns it off; anything else leaves it on', () => {
    expect(directIoFrom({})).toBe(true);
    expect(directIoFrom({ SNAPSTREAM_LOCAL_DIRECT_IO: 'true' })).toBe(true);
    for (const off of ['false', '0', 'no', 'OFF', ' false ']) expect(directIoFrom({ SNAPSTREAM_LOCAL_DIRECT_IO: off })).toBe(false);
    expect(readStoreEnv({ SNAPSTREAM_LOCAL_DIRECT_IO: 'false' }).localDirectIo).toBe(false);
    expect(readStoreEnv({}).localDirectIo).toBe(true);
  });
});
