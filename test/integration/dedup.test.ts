import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGc } from '../../src/dedup/gc.js';
import { referencedIds } from '../../src/dedup/recipe-reader.js';
import { sha256Codec } from '../../src/dedup/segment-codec.js';
import { SegmentStore, idOfSegmentKey, segmentKey, segmentsPrefix } from '../../src/dedup/segment-store.js';
import { runBackup } from '../../src/transfer/backup.js';
import { catBackup } from '../../src/transfer/cat-backup.js';
import { deleteBackup, listBackups, readManifest } from '../../src/transfer/catalog.js';
import type { Manifest } from '../../src/model/manifest.js';
import { runRestore } from '../../src/transfer/restore.js';
import { verifyBackup } from '../../src/transfer/verify.js';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { type LocationKind, type TestLocation, makeLocation, makeZfs, mountpointOf, silentLog, testDataset } from '../helpers/core-fixture.js';
import { needs, treeDigest, uniqueName, writeRandomFile } from '../helpers/test-env.js';

const MiB = 1024 * 1024;
const BIN = path.join(path.dirname(new URL(import.meta.url).pathname), '../../bin/snapstream.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SNAPSTREAM_LOG_LEVEL: 'warn' } });
const zfs = makeZfs();

/** sha256 and size of what `zfs send ds@snap` writes right now. */
async function sendDigest(ds: string, snap: string): Promise<{ sha256: string; size: number }> {
  const p = zfs.send(ds as never, parseSnapshotShortName(snap), undefined);
  const h = createHash('sha256');
  let size = 0;
  for await (const c of p.stdout as AsyncIterable<Buffer>) {
    h.update(c);
    size += c.length;
  }
  await p.exit;
  return { sha256: h.digest('hex'), size };
}

/** sha256 of what `snapstream cat` (catBackup) writes for a manifest. */
async function catDigest(t: TestLocation, m: Manifest): Promise<string> {
  const h = createHash('sha256');
  const out = new Writable({ write: (c, _e, cb) => (h.update(c as Buffer), cb()) });
  await catBackup(t.store, m, out, { log: silentLog });
  return h.digest('hex');
}

/** Overwrites `bytes` at `offset` of a file in place (the blocks change, the file's layout does not). */
async function overwrite(file: string, offset: number, bytes: number): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    await fh.write(Buffer.alloc(bytes, 0x5a ^ (offset & 0xff)).map((_, i) => (i * 7 + offset) & 0xff), 0, bytes, offset);
  } finally {
    await fh.close();
  }
}

async function segmentIds(t: TestLocation): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const o of t.store.list(segmentsPrefix(t.loc.layout))) {
    const id = idOfSegmentKey(t.loc.layout, o.key);
    if (id) ids.add(id);
  }
  return ids;
}

const KINDS: Array<[LocationKind, ('zfs' | 's3' | 'gcs')[]]> = [
  ['local', ['zfs']],
  ['radosgw', ['zfs', 's3']],
  ['gcs', ['zfs', 'gcs']],
];

// GCS runs the first (round-trip) test by default; SNAPSTREAM_TEST_DEDUP_MATRIX=1 runs every test on every store.
const MATRIX = process.env.SNAPSTREAM_TEST_DEDUP_MATRIX === '1';
for (const [kind, parts] of KINDS) {
  const more = MATRIX || kind !== 'gcs';
  describe.skipIf(!needs(...parts))(`dedup layout against ${kind}`, () => {
    let t: TestLocation;
    let ds: ReturnType<typeof testDataset>;
    let mp: string;
    const targets: string[] = [];
    beforeAll(async () => {
      t = await makeLocation(kind);
      ds = testDataset(uniqueName('dd'));
      await zfs.run(['create', ds]);
      mp = await mountpointOf(zfs, ds);
      await writeRandomFile(path.join(mp, 'big.bin'), 20 * MiB + 4321);
      await fs.mkdir(path.join(mp, 'dir'));
      for (let i = 0; i < 20; i++) await writeRandomFile(path.join(mp, `dir/f${i}`), 20_000 + i * 5000);
      await fs.writeFile(path.join(mp, 'small.txt'), 'hello\n');
      await zfs.snapshot(ds, parseSnapshotShortName('s1'));
    });
    afterAll(async () => {
      for (const d of [...targets, ds]) await zfs.destroyDataset(d as never).catch(() => {});
      await t?.cleanup();
    });

    it('a full backup is stored as segments + recipe, rebuilt bit-exact (cat), verified and restored', async () => {
      const m = await runBackup({ dataset: ds, snapshot: 's1', backup: 'b1', volume: 'v', layout: t.loc.layout, dedup: true }, { zfs, store: t.store, log: silentLog });
      expect(m.dedup).toBeDefined();
      expect(m.parts).toEqual([]);
      expect(await t.store.head(m.dataKey)).toBeUndefined();
      const sent = await sendDigest(ds, 's1');
      expect(m.size).toBe(sent.size);
      expect(await catDigest(t, m)).toBe(sent.sha256);
      expect(m.dedup!.addedBytes).toBeGreaterThan(m.dedup!.segmentBytes * 0.9);
      // headers + recipe well under 0.5% of the logical size
      expect(m.dedup!.addedBytes - m.dedup!.segmentBytes).toBeLessThan(m.size * 0.005);
      await expect(verifyBackup(t.store, await readManifest(t.store, t.loc.layout, 'b1', 'v'), { log: silentLog })).resolves.toMatchObject({ bytes: m.size });
      const target = testDataset(uniqueName('ddr'));
      targets.push(target);
      await runRestore({ backup: 'b1', volume: 'v', layout: t.loc.layout, target }, { zfs, store: t.store, log: silentLog });
      expect(await treeDigest(await mountpointOf(zfs, target))).toBe(await treeDigest(path.join(mp, '.zfs/snapshot/s1')).catch(async () => treeDigest(mp)));
    });

    it.runIf(more)('a second full backup with ~5% changed adds about the changed bytes, restores bit-exact', async () => {
      const before = await treeDigest(mp);
      expect(before).toBeTruthy();
      await overwrite(path.join(mp, 'big.bin'), 5 * MiB + 100, MiB); // ~5% of 21 MiB
      await fs.writeFile(path.join(mp, 'small.txt'), 'changed\n');
      await zfs.snapshot(ds, parseSnapshotShortName('s2'));
      const digest2 = await treeDigest(mp);
      const m2 = await runBackup({ dataset: ds, snapshot: 's2', backup: 'b2', volume: 'v', layout: t.loc.layout, dedup: true }, { zfs, store: t.store, log: silentLog });
      expect(m2.previousSnapshot).toBe('');
      // changed: 1 MiB of data (+ block rounding) in at most 2 aligned 1 MiB segments, the small file's segment, the recipe
      expect(m2.dedup!.addedBytes).toBeLessThan(m2.size * 0.3);
      expect(m2.dedup!.addedBytes).toBeGreaterThan(MiB);
      expect(await catDigest(t, m2)).toBe((await sendDigest(ds, 's2')).sha256);
      const target = testDataset(uniqueName('ddr'));
      targets.push(target);
      await runRestore({ backup: 'b2', volume: 'v', layout: t.loc.layout, target }, { zfs, store: t.store, log: silentLog });
      expect(await treeDigest(await mountpointOf(zfs, target))).toBe(digest2);
    });

    it.runIf(more)('verify names a corrupted segment (INTEGRITY_MISMATCH) and GC deletes only unreferenced segments after the grace', async () => {
      const m1 = await readManifest(t.store, t.loc.layout, 'b1', 'v');
      const m2 = await readManifest(t.store, t.loc.layout, 'b2', 'v');
      const segs = new SegmentStore(t.store, t.loc.layout);
      const ids1 = new Set<string>();
      const ids2 = new Set<string>();
      await referencedIds(segs, sha256Codec, m1, ids1);
      await referencedIds(segs, sha256Codec, m2, ids2);
      const only1 = [...ids1].filter((id) => !ids2.has(id));
      expect(only1.length).toBeGreaterThan(0);
      // corrupt one segment that only b1 references: b1 fails verify, b2 is untouched
      const victim = only1.find((id) => !m1.dedup!.recipe.some((r) => r.id === id))!;
      const key = segmentKey(t.loc.layout, victim);
      const orig = Buffer.concat(await (async () => { const a: Buffer[] = []; for await (const c of await t.store.get(key)) a.push(c as Buffer); return a; })());
      const bad = Buffer.from(orig);
      bad[bad.length >> 1]! ^= 1;
      await t.store.put(key, bad);
      await expect(verifyBackup(t.store, m1, { log: silentLog })).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH' });
      await verifyBackup(t.store, m2, { log: silentLog });
      await t.store.put(key, orig);

      await deleteBackup(t.store, m1);
      let now = Date.now();
      const gc = (graceMs?: number) => runGc({ store: t.store, layout: t.loc.layout, log: silentLog, graceMs, now: () => new Date(now) });
      expect((await gc(60_000)).action).toBe('marked');
      // Younger than the grace: nothing is deleted.
      expect((await gc()).action).toBe('waiting');
      expect([...(await segmentIds(t))].filter((id) => ids1.has(id) && !ids2.has(id)).length).toBe(only1.length);
      now += 61_000;
      const r = await gc();
      expect(r).toMatchObject({ action: 'swept', deleted: only1.length });
      const left = await segmentIds(t);
      expect([...ids2].every((id) => left.has(id))).toBe(true);
      expect(only1.some((id) => left.has(id))).toBe(false);
      await verifyBackup(t.store, m2, { log: silentLog });
    });
  });
}

describe.skipIf(!needs('zfs', 's3'))('dedup GC while backups run (radosgw)', () => {
  let t: TestLocation;
  let ds: ReturnType<typeof testDataset>;
  const targets: string[] = [];
  beforeAll(async () => {
    t = await makeLocation('radosgw');
    ds = testDataset(uniqueName('ddgc'));
    await zfs.run(['create', ds]);
  });
  afterAll(async () => {
    for (const d of [...targets, ds]) await zfs.destroyDataset(d as never).catch(() => {});
    await t?.cleanup();
  });

  it('a sweep between a backup\'s start and its commit deletes none of the candidates it reused (it rewrote them)', async () => {
    const mp = await mountpointOf(zfs, ds);
    await writeRandomFile(path.join(mp, 'r.bin'), 8 * MiB);
    await zfs.snapshot(ds, parseSnapshotShortName('r1'));
    await zfs.snapshot(ds, parseSnapshotShortName('r2'));
    const digest = await treeDigest(mp);
    const backup = (s: string, store = t.store) => runBackup({ dataset: ds, snapshot: s, backup: s, volume: 'r', layout: t.loc.layout, dedup: true }, { zfs, store, log: silentLog });
    await backup('r1');
    await deleteBackup(t.store, await readManifest(t.store, t.loc.layout, 'r1', 'r'));
    const graceMs = 3000;
    const gc = () => runGc({ store: t.store, layout: t.loc.layout, log: silentLog, graceMs });
    expect((await gc()).action).toBe('marked'); // r1's segments are candidates now
    await new Promise((res) => setTimeout(res, graceMs + 100));
    // r2 holds the same data: it finds r1's segments present. Its commit waits until a sweep ran.
    let heads = 0;
    let reached!: () => void;
    const atCommit = new Promise<void>((res) => (reached = res));
    let release!: () => void;
    const released = new Promise<void>((res) => (release = res));
    const gated = new Proxy(t.store, {
      get(target, prop) {
        if (prop === 'head') {
          return async (key: string, o?: { signal?: AbortSignal }) => {
            if (key.endsWith('.snapstream.json') && ++heads === 2) {
              reached();
              await released;
            }
            return target.head(key, o);
          };
        }
        const v = (target as unknown as Record<string | symbol, unknown>)[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const pending = backup('r2', gated);
    await atCommit;
    const swept = await gc();
    release();
    const m2 = await pending;
    expect(swept.action).toBe('swept');
    expect(m2.dedup!.addedSegments).toBeGreaterThan(0); // the candidates were written again, not reused
    const target = testDataset(uniqueName('ddgr'));
    targets.push(target);
    await runRestore({ backup: 'r2', volume: 'r', layout: t.loc.layout, target }, { zfs, store: t.store, log: silentLog });
    expect(await treeDigest(await mountpointOf(zfs, target))).toBe(digest);
    await deleteBackup(t.store, m2);
  });

  it('backups committed while GC sweeps every few hundred ms all restore bit-exact; garbage goes', async () => {
    const mp = await mountpointOf(zfs, ds);
    await writeRandomFile(path.join(mp, 'a.bin'), 12 * MiB);
    const digests = new Map<string, string>();
    const snap = async (name: string) => {
      await overwrite(path.join(mp, 'a.bin'), (digests.size * 3 + 1) * MiB, MiB);
      await writeRandomFile(path.join(mp, `n${digests.size}.bin`), 2 * MiB);
      await zfs.snapshot(ds, parseSnapshotShortName(name));
      digests.set(name, await treeDigest(mp));
    };
    for (const s of ['g1', 'g2', 'g3', 'g4']) await snap(s);
    const backup = (s: string) => runBackup({ dataset: ds, snapshot: s, backup: s, volume: 'v', layout: t.loc.layout, dedup: true }, { zfs, store: t.store, log: silentLog });
    // g1 and g2 committed, then deleted: their unique segments are garbage the GC should remove.
    await backup('g1');
    await backup('g2');
    for (const b of ['g1']) await deleteBackup(t.store, await readManifest(t.store, t.loc.layout, b, 'v'));
    // A short grace (the backups take ~1 s) and GC runs back to back while g3 and g4 back up concurrently.
    const graceMs = 4000;
    let stop = false;
    let sweeps = 0;
    let deleted = 0;
    const gcLoop = (async () => {
      for (let i = 0; i < 200 && !stop; i++) {
        const r = await runGc({ store: t.store, layout: t.loc.layout, log: silentLog, graceMs });
        if (r.action === 'swept') {
          sweeps++;
          deleted += r.deleted;
        }
        await new Promise((res) => setTimeout(res, 150));
      }
    })();
    const results = await Promise.allSettled([
      (async () => { await new Promise((res) => setTimeout(res, 4200)); return backup('g3'); })(),
      (async () => { await new Promise((res) => setTimeout(res, 4500)); return backup('g4'); })(),
    ]);
    // Let at least one sweep after the backups run, then stop.
    await new Promise((res) => setTimeout(res, 500));
    stop = true;
    await gcLoop;
    expect(sweeps).toBeGreaterThan(0);
    void deleted;
    const committed = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<Manifest>).value.backup);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('DEDUP_CONFLICT');
    expect(committed.length).toBeGreaterThan(0);
    const cat = await listBackups(t.store, t.loc.layout);
    expect(cat.backups.map((b) => b.backup).sort()).toEqual(['g2', ...committed].sort());
    for (const b of ['g2', ...committed]) {
      const target = testDataset(uniqueName('ddgr'));
      targets.push(target);
      await runRestore({ backup: b, volume: 'v', layout: t.loc.layout, target }, { zfs, store: t.store, log: silentLog });
      expect(await treeDigest(await mountpointOf(zfs, target))).toBe(digests.get(b));
    }
    // Two more sweeps (the second with a short grace): then exactly what committed backups reference is left.
    let last = 'waiting';
    for (let i = 0; i < 40 && last === 'waiting'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      last = (await runGc({ store: t.store, layout: t.loc.layout, log: silentLog, graceMs: 300 })).action;
    }
    expect(last).toBe('swept');
    await new Promise((res) => setTimeout(res, 400));
    expect((await runGc({ store: t.store, layout: t.loc.layout, log: silentLog, graceMs: 300 })).action).toBe('swept');
    const live = new Set<string>();
    const segs = new SegmentStore(t.store, t.loc.layout);
    for (const m of (await listBackups(t.store, t.loc.layout)).backups) await referencedIds(segs, sha256Codec, m, live);
    expect([...(await segmentIds(t))].sort()).toEqual([...live].sort());
  });
});

describe.skipIf(!needs('zfs'))('dedup from the CLI (local directory)', () => {
  let t: TestLocation;
  let ds: ReturnType<typeof testDataset>;
  beforeAll(async () => {
    t = await makeLocation('local');
    ds = testDataset(uniqueName('ddcli'));
    await zfs.run(['create', ds]);
    await writeRandomFile(path.join(await mountpointOf(zfs, ds), 'a.bin'), 6 * MiB);
    await zfs.snapshot(ds, parseSnapshotShortName('c1'));
    await zfs.snapshot(ds, parseSnapshotShortName('c2'));
  });
  afterAll(async () => {
    await zfs.destroyDataset(ds).catch(() => {});
    await t?.cleanup();
  });

  it('backup to a dedup=true location, ls shows logical and added bytes, cat writes the exact stream, gc', async () => {
    const url = `${t.url}?dedup=true`;
    for (const s of ['c1', 'c2']) {
      const r = cli('backup', `${ds}@${s}`, '--to', url, '--volume', 'v');
      expect(r.stderr + r.stdout).toMatch(/segments \(.* added, \d+ new\)/);
      expect(r.status).toBe(0);
    }
    const ls = cli('ls', t.url, '--json');
    expect(ls.status).toBe(0);
    const rows = (JSON.parse(ls.stdout) as { backups: Array<{ backup: string; layout: string; size: number; addedBytes: number }> }).backups;
    expect(rows.map((r) => [r.backup, r.layout])).toEqual([['c1', 'dedup'], ['c2', 'dedup']]);
    expect(rows[1]!.addedBytes).toBeLessThan(rows[1]!.size * 0.05); // the same data: only the recipe is new
    expect(cli('ls', t.url).stdout).toMatch(/ADDED/);
    // --plain overrides the location's dedup=true
    await zfs.snapshot(ds, parseSnapshotShortName('c3'));
    expect(cli('backup', `${ds}@c3`, '--to', url, '--volume', 'v', '--plain').status).toBe(0);
    expect((await readManifest(t.store, t.loc.layout, 'c3', 'v')).dedup).toBeUndefined();
    const cat = spawn(process.execPath, [BIN, 'cat', '--from', t.url, '--backup', 'c2', '--volume', 'v'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const h = createHash('sha256');
    for await (const c of cat.stdout as AsyncIterable<Buffer>) h.update(c);
    expect(h.digest('hex')).toBe((await sendDigest(ds, 'c2')).sha256);
    expect(cli('verify', t.url, '--all').status).toBe(0);
    const gc = cli('gc', t.url, '--grace', '1h', '--json');
    expect(gc.status).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({ action: 'marked', deleted: 0 });
    expect(cli('gc', t.url, '--grace', 'soon').status).toBe(2);
  });
});
