import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalStore } from '../../../../src/store/local/local-store.js';

describe('local store early writeback', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('flushes in the background while parts keep coming, and the object is whole and exact', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sstest-writeback-'));
    dirs.push(dir);
    // The page-cache path (early writeback is about it; direct writes leave nothing to flush).
    const store = new LocalStore(dir, { writebackBytes: 100 * 1024, directIo: false });
    const up = await store.createUpload('wb/obj');
    // The open FileHandle (LocalUpload.handle is the resumable temp name since resumable backups).
    const handle = (up as unknown as { file: { datasync: () => Promise<void> } }).file;
    const datasync = vi.spyOn(handle, 'datasync');
    const parts = Array.from({ length: 8 }, () => randomBytes(64 * 1024));
    // Concurrently and out of order, as the pipeline writes them.
    await Promise.all([3, 1, 0, 2, 7, 5, 4, 6].map((i) => up.uploadPart({ number: i + 1, offset: i * 64 * 1024, data: parts[i]! })));
    await up.complete();
    expect(datasync.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect((await readFile(path.join(dir, 'wb/obj'))).equals(Buffer.concat(parts))).toBe(true);
  });

  it('a failed background flush fails complete(), and nothing is committed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sstest-writeback-'));
    dirs.push(dir);
    const store = new LocalStore(dir, { writebackBytes: 1 });
    const up = await store.createUpload('wb/bad');
    // The open FileHandle (LocalUpload.handle is the resumable temp name since resumable backups).
    const handle = (up as unknown as { file: { datasync: () => Promise<void> } }).file;
    vi.spyOn(handle, 'datasync').mockRejectedValue(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await up.uploadPart({ number: 1, offset: 0, data: randomBytes(1000) });
    await expect(up.complete()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await up.abort();
    expect(await store.head('wb/bad')).toBeUndefined();
  });
  it('a checkpoint after a failed background flush fails too (Linux reports a writeback error once per open file)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sstest-writeback-'));
    dirs.push(dir);
    const store = new LocalStore(dir, { writebackBytes: 1 });
    const up = await store.createUpload('wb/ckpt');
    const handle = (up as unknown as { file: { datasync: () => Promise<void> } }).file;
    // Only the first (background) flush fails, as the kernel would: a later sync of the same file succeeds.
    vi.spyOn(handle, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await up.uploadPart({ number: 1, offset: 0, data: randomBytes(1000) });
    await expect(up.checkpoint!()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await up.abort();
  });
});
