import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningProcesses } from '../../src/exec/owned-process.js';
import { runBackup } from '../../src/transfer/backup.js';
import { listBackups, readManifest } from '../../src/transfer/catalog.js';
import { dataKeyFor } from '../../src/model/layout.js';
import { manifestKeyFor } from '../../src/model/manifest.js';
import { runRestore } from '../../src/transfer/restore.js';
import { verifyBackup } from '../../src/transfer/verify.js';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { type LocationKind, type TestLocation, makeLocation, makeZfs, mountpointOf, silentLog, testDataset } from '../helpers/core-fixture.js';
import { makeS3Client, needs, treeDigest, uniqueName, writeRandomFile } from '../helpers/test-env.js';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { getTestEnv } from '../helpers/test-env.js';

const FAILING_ZFS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/failing-zfs.sh');
const MiB = 1024 * 1024;
const zfs = makeZfs();
const layout = (t: TestLocation) => t.loc.layout;
const deps = (t: TestLocation, z = zfs) => ({ zfs: z, store: t.store, log: silentLog });

/** Creates a dataset with some files and snapshot `s1`; returns its name and content digest. */
async function sourceDataset(mib: number) {
  const ds = testDataset(uniqueName('src'));
  await zfs.run(['create', ds]);
  const mp = await mountpointOf(zfs, ds);
  await writeRandomFile(path.join(mp, 'a.bin'), Math.floor(mib * 0.7 * MiB) + 13);
  await fs.mkdir(path.join(mp, 'dir'));
  await writeRandomFile(path.join(mp, 'dir/b.bin'), Math.floor(mib * 0.3 * MiB));
  await fs.writeFile(path.join(mp, 'small.txt'), 'hello\n');
  await zfs.snapshot(ds, parseSnapshotShortName('s1'));
  return { ds, mp, digest1: await treeDigest(mp) };
}

async function destroyAll(...names: string[]) {
  for (const n of names) await zfs.destroyDataset(testDataset(n.split('/').pop()!)).catch(() => {});
}

async function noUploadsLeft(t: TestLocation): Promise<void> {
  if (t.name === 'radosgw' || t.name === 'swift') {
    const env = getTestEnv();
    const ep = t.name === 'radosgw' ? env.s3! : env.swift!;
    const bucket = (t.loc.store as { bucket: string }).bucket;
    const res = await makeS3Client(ep).send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(res.Uploads ?? []).toEqual([]);
  }
  const all: string[] = [];
  for await (const o of t.store.list('')) all.push(o.key);
  expect(all).toEqual([]);
  if (t.name === 'local') {
    // not even hidden temp files
    const root = (t.loc.store as { path: string }).path;
    const walk = async (d: string): Promise<string[]> =>
      (await fs.readdir(d, { withFileTypes: true })).flatMap((e) => (e.isDirectory() ? [] : [path.join(d, e.name)])).concat(
        ...(await Promise.all((await fs.readdir(d, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => walk(path.join(d, e.name))))),
      );
    expect(await walk(root)).toEqual([]);
  }
}

const ROUND_TRIP: Array<[LocationKind, ('zfs' | 's3' | 'swift' | 'gcs')[]]> = [
  ['local', ['zfs']],
  ['radosgw', ['zfs', 's3']],
  ['swift', ['zfs', 'swift']],
  ['gcs', ['zfs', 'gcs']],
];

for (const [kind, parts] of ROUND_TRIP) {
  describe.skipIf(!needs(...parts))(`transfer core against ${kind}`, () => {
    let t: TestLocation;
    let src: Awaited<ReturnType<typeof sourceDataset>>;
    const targets: string[] = [];
    beforeAll(async () => {
      t = await makeLocation(kind);
      src = await sourceDataset(24);
    });
    afterAll(async () => {
      await destroyAll(src?.ds ?? 'none', ...targets);
      await t?.cleanup();
    });

    it('full backup in several parts, listed, verified and restored byte for byte', async () => {
      const m = await runBackup(
        { dataset: src.ds, snapshot: 's1', backup: 'b1', volume: 'vol1', layout: layout(t), transfer: { partSize: 5 * MiB, concurrency: 3 } },
        deps(t),
      );
      expect(m.previousSnapshot).toBe('');
      expect(m.parts.length).toBeGreaterThanOrEqual(4);
      expect(m.parts.every((p, i) => i === m.parts.length - 1 || p.size === 5 * MiB)).toBe(true);
      const cat = await listBackups(t.store, layout(t));
      expect(cat.backups.map((b) => b.backup)).toEqual(['b1']);
      expect((await t.store.head(m.dataKey))!.size).toBe(m.size);
      await expect(verifyBackup(t.store, m, { log: silentLog })).resolves.toMatchObject({ bytes: m.size });

      const target = testDataset(uniqueName('rfull'));
      targets.push(target);
      const r = await runRestore({ backup: 'b1', volume: 'vol1', layout: layout(t), target }, deps(t));
      expect(r).toMatchObject({ snapshot: 's1', verified: true, bytes: m.size });
      expect(await treeDigest(await mountpointOf(zfs, target))).toBe(src.digest1);
    });

    it('incremental backup, restored as a chain and as a single step onto its base', async () => {
      await writeRandomFile(path.join(src.mp, 'dir/b.bin'), 3 * MiB); // rewrite
      await fs.writeFile(path.join(src.mp, 'new.txt'), 'second\n');
      await fs.rm(path.join(src.mp, 'small.txt'));
      await zfs.snapshot(src.ds, parseSnapshotShortName('s2'));
      const digest2 = await treeDigest(src.mp);
      const m2 = await runBackup(
        { dataset: src.ds, snapshot: 's2', previousSnapshot: 's1', previousBackup: 'b1', backup: 'b2', volume: 'vol1', layout: layout(t) },
        deps(t),
      );
      expect(m2).toMatchObject({ previousSnapshot: 's1', previousBackup: 'b1' });
      expect(m2.previousSnapshotGuid).toMatch(/^\d+$/);

      const chain = testDataset(uniqueName('rchain'));
      targets.push(chain);
      const r = await runRestore({ backup: 'b2', volume: 'vol1', layout: layout(t), target: chain, restoreAllIncrementalSnapshots: true }, deps(t));
      expect(r.restored.map((x) => x.backup)).toEqual(['b1', 'b2']);
      expect(await treeDigest(await mountpointOf(zfs, chain))).toBe(digest2);
      expect((await zfs.listSnapshots(chain)).map((s) => s.name)).toEqual(['s1', 's2']);

      // A single incremental step onto a dataset that has the base.
      const step = testDataset(uniqueName('rstep'));
      targets.push(step);
      await runRestore({ backup: 'b1', volume: 'vol1', layout: layout(t), target: step }, deps(t));
      await runRestore({ backup: 'b2', volume: 'vol1', layout: layout(t), target: step, targetIp: '10.1.2.3' }, deps(t));
      expect(await treeDigest(await mountpointOf(zfs, step))).toBe(digest2);
      expect(await zfs.getProperty(step, 'io.openebs:targetip')).toBe('10.1.2.3');
    });
  });
}

describe.skipIf(!needs('zfs'))('backup modes and refusals', () => {
  let t: TestLocation;
  let src: Awaited<ReturnType<typeof sourceDataset>>;
  beforeAll(async () => {
    t = await makeLocation('local');
    src = await sourceDataset(2);
    await zfs.snapshot(src.ds, parseSnapshotShortName('s2'));
  });
  afterAll(async () => {
    await destroyAll(src?.ds ?? 'none');
    await t?.cleanup();
  });

  it('disableIncrementalBackups sends a full stream even when a previous snapshot is given', async () => {
    const m = await runBackup(
      { dataset: src.ds, snapshot: 's2', previousSnapshot: 's1', disableIncrementalBackups: true, backup: 'full2', volume: 'v', layout: layout(t) },
      deps(t),
    );
    expect(m.previousSnapshot).toBe('');
    expect(m.sendArgs).toEqual(['send', `${src.ds}@s2`]);
    expect(m.size).toBeGreaterThan(2 * MiB);
  });

  it('refuses a backup name that already exists, a missing snapshot, and a missing base', async () => {
    const base = { dataset: src.ds, volume: 'v', layout: layout(t) };
    await expect(runBackup({ ...base, snapshot: 's2', backup: 'full2' }, deps(t))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(runBackup({ ...base, snapshot: 'nope', backup: 'x1' }, deps(t))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/@nope does not exist/) });
    await expect(runBackup({ ...base, snapshot: 's2', previousSnapshot: 'gone', backup: 'x2' }, deps(t))).rejects.toMatchObject({ code: 'BASE_MISSING' });
    await expect(runBackup({ ...base, snapshot: 's2;rm', backup: 'x3' }, deps(t))).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(runBackup({ ...base, snapshot: 's2', backup: '../evil' }, deps(t))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('an incremental restore whose base is missing on the target fails up front and creates nothing', async () => {
    await runBackup({ dataset: src.ds, snapshot: 's2', previousSnapshot: 's1', backup: 'inc2', volume: 'v', layout: layout(t) }, deps(t));
    const target = testDataset(uniqueName('nobase'));
    await expect(runRestore({ backup: 'inc2', volume: 'v', layout: layout(t), target }, deps(t))).rejects.toMatchObject({
      code: 'BASE_MISSING',
      message: expect.stringMatching(/incremental from @s1.*restore the whole chain/),
    });
    expect(await zfs.exists(target)).toBe(false);
    // ...and the chain cannot be built either: there is no full backup of s1 here
    await expect(
      runRestore({ backup: 'inc2', volume: 'v', layout: layout(t), target, restoreAllIncrementalSnapshots: true }, deps(t)),
    ).rejects.toMatchObject({ code: 'BASE_MISSING' });
    expect(await zfs.exists(target)).toBe(false);
  });

  it('refuses to overwrite an existing target unless forced', async () => {
    const target = testDataset(uniqueName('exists'));
    await zfs.run(['create', target]);
    try {
      await expect(runRestore({ backup: 'full2', volume: 'v', layout: layout(t), target }, deps(t))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      expect(await zfs.exists(target)).toBe(true); // untouched
      const siblingsOf = async () =>
        (await zfs.run(['list', '-H', '-o', 'name', '-r', target.slice(0, target.lastIndexOf('/'))])).split('\n').filter((n) => n.includes('snapstream-restore'));

      // A forced restore that fails (whole-stream hash wrong: found only after every earlier part went
      // into zfs recv) leaves the existing dataset exactly as it was.
      const marker = path.join(await mountpointOf(zfs, target), 'keep.txt');
      await fs.writeFile(marker, 'old data\n');
      const good = await readManifest(t.store, layout(t), 'full2', 'v');
      const badKey = dataKeyFor(layout(t), 'tampered', 'v');
      const chunks: Buffer[] = [];
      for await (const c of await t.store.get(good.dataKey)) chunks.push(c as Buffer);
      await t.store.put(badKey, Buffer.concat(chunks));
      await t.store.put(manifestKeyFor(badKey), Buffer.from(JSON.stringify({ ...good, backup: 'tampered', dataKey: badKey, streamHash: '0123456789abcdef' })));
      await expect(runRestore({ backup: 'tampered', volume: 'v', layout: layout(t), target, force: true }, deps(t))).rejects.toMatchObject({
        code: 'INTEGRITY_MISMATCH',
      });
      expect(await fs.readFile(path.join(await mountpointOf(zfs, target), 'keep.txt'), 'utf8')).toBe('old data\n');
      expect(await siblingsOf()).toEqual([]);

      await runRestore({ backup: 'full2', volume: 'v', layout: layout(t), target, force: true }, deps(t));
      expect(await treeDigest(await mountpointOf(zfs, target))).toBe(src.digest1);
      // The forced restore received into a staging sibling and swapped it in: nothing else remains.
      expect(await siblingsOf()).toEqual([]);
    } finally {
      await zfs.destroyDataset(target);
    }
  });

  it('restores a legacy object without a manifest only when explicitly asked, reported unverified', async () => {
    const m = await readManifest(t.store, layout(t), 'full2', 'v');
    const legacyKey = dataKeyFor(layout(t), 'legacy1', 'v');
    const body = await t.store.get(m.dataKey);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    await t.store.put(legacyKey, Buffer.concat(chunks));
    const target = testDataset(uniqueName('legacy'));
    await expect(runRestore({ backup: 'legacy1', volume: 'v', layout: layout(t), target }, deps(t))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/--allow-unverified/),
    });
    expect((await listBackups(t.store, layout(t))).unmanaged.map((u) => u.key)).toEqual([legacyKey]);
    try {
      const r = await runRestore({ backup: 'legacy1', volume: 'v', layout: layout(t), target, allowUnverified: true }, deps(t));
      expect(r.verified).toBe(false);
      expect(await treeDigest(await mountpointOf(zfs, target))).toBe(src.digest1);
    } finally {
      await zfs.destroyDataset(target);
      await t.store.delete(legacyKey);
    }
  });
});

const FAILURE_KINDS: Array<[LocationKind, ('zfs' | 's3' | 'gcs')[]]> = [
  ['local', ['zfs']],
  ['radosgw', ['zfs', 's3']],
  // GCS: a resumable upload that is destroyed before its final request never becomes an object.
  ['gcs', ['zfs', 'gcs']],
];

for (const [kind, parts] of FAILURE_KINDS) {
  describe.skipIf(!needs(...parts))(`failures leave nothing behind (${kind})`, () => {
    let t: TestLocation;
    let src: Awaited<ReturnType<typeof sourceDataset>>;
    beforeAll(async () => {
      t = await makeLocation(kind);
      src = await sourceDataset(16);
    });
    afterAll(async () => {
      await destroyAll(src?.ds ?? 'none');
      await t?.cleanup();
    });

    it('a zfs send that fails midway fails the backup: nothing committed or listed; the retry resumes (where the store can) and commits', async () => {
      process.env.FAIL_AFTER_BYTES = String(7 * MiB);
      const req = { dataset: src.ds, snapshot: 's1', backup: 'broken', volume: 'v', layout: layout(t), transfer: { partSize: 5 * MiB } };
      const err = await runBackup(req, deps(t, makeZfs(FAILING_ZFS))).catch((e) => e);
      expect(err.code).toBe('ZFS_FAILED');
      expect(err.message).toMatch(/zfs send exited with status 1.*simulated I\/O error/s);
      expect((await listBackups(t.store, layout(t))).backups).toEqual([]);
      const dataKey = dataKeyFor(layout(t), 'broken', 'v');
      expect(await t.store.head(dataKey)).toBeUndefined();
      expect(await t.store.head(manifestKeyFor(dataKey))).toBeUndefined();
      expect(runningProcesses()).toEqual([]);
      // The operator's retry: the same request, with a zfs send that works now.
      let resumed = { resumedBytes: -1, restartReason: '' };
      const m = await runBackup(req, deps(t), { onResume: (r) => (resumed = r) });
      // Part 1 (5 MiB) was stored and recorded; the short part after it is the broken stream's end, never recorded.
      expect(resumed.resumedBytes).toBe(t.store.resumeUpload ? 5 * MiB : 0);
      expect((await verifyBackup(t.store, m, { log: silentLog })).bytes).toBe(m.size);
      expect((await listBackups(t.store, layout(t))).backups.map((b) => b.backup)).toEqual(['broken']);
      const { deleteBackup } = await import('../../src/transfer/catalog.js');
      await deleteBackup(t.store, m);
      await noUploadsLeft(t);
    });

    it('cancelling mid-transfer aborts the upload and reaps zfs send', async () => {
      const ac = new AbortController();
      const err = await runBackup(
        { dataset: src.ds, snapshot: 's1', backup: 'cancelled', volume: 'v', layout: layout(t), transfer: { partSize: 5 * MiB, rateLimitBytesPerSec: 4 * MiB } },
        deps(t),
        { signal: ac.signal, onProgress: (p) => p.bytes > 2 * MiB && ac.abort(new Error('user cancelled')) },
      ).catch((e) => e);
      expect(err.code).toBe('ABORTED');
      await noUploadsLeft(t);
      expect(runningProcesses()).toEqual([]);
    });

    it('a corrupted byte fails the restore naming the part, and leaves no dataset', async () => {
      const m = await runBackup({ dataset: src.ds, snapshot: 's1', backup: 'good', volume: 'v', layout: layout(t), transfer: { partSize: 5 * MiB } }, deps(t));
      const original = await readAll(t, m.dataKey);
      const bad = Buffer.from(original);
      const at = 2 * 5 * MiB + 1234; // inside part 3
      bad[at] = bad[at]! ^ 0x01;
      await t.store.put(m.dataKey, bad);
      const target = testDataset(uniqueName('corrupt'));
      const err = await runRestore({ backup: 'good', volume: 'v', layout: layout(t), target }, deps(t)).catch((e) => e);
      expect(err.code).toBe('INTEGRITY_MISMATCH');
      expect(err.message).toMatch(/part 3 \(bytes 10485760\.\.15728639\).*expected [0-9a-f]{16}, got [0-9a-f]{16}/);
      expect(err.details).toMatchObject({ part: 3, offset: 10485760, expected: m.parts[2]!.xxh64 });
      expect(await zfs.exists(target)).toBe(false);
      await expect(verifyBackup(t.store, m, { log: silentLog })).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH' });

      // truncated object: found before receiving anything
      await t.store.put(m.dataKey, original.subarray(0, original.length - 1000));
      const err2 = await runRestore({ backup: 'good', volume: 'v', layout: layout(t), target }, deps(t)).catch((e) => e);
      expect(err2.code).toBe('TRUNCATED');
      expect(err2.message).toMatch(/is \d+ bytes, the manifest says \d+/);
      expect(await zfs.exists(target)).toBe(false);

      // a hostile manifest is refused with a clear error, no crash
      await t.store.put(manifestKeyFor(m.dataKey), Buffer.from(JSON.stringify({ format: 'snapstream.backup', version: 1, size: 1e15, parts: [] })));
      const err3 = await runRestore({ backup: 'good', volume: 'v', layout: layout(t), target }, deps(t)).catch((e) => e);
      expect(err3.code).toBe('MANIFEST_INVALID');
      expect(await zfs.exists(target)).toBe(false);
    });
  });
}

async function readAll(t: TestLocation, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await t.store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
