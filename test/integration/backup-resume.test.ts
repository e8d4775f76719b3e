import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapstreamError, ErrorCode } from '../../src/errors.js';
import { type ResumeOutcome, runBackup } from '../../src/transfer/backup.js';
import { deleteBackup, listBackups } from '../../src/transfer/catalog.js';
import { dataKeyFor } from '../../src/model/layout.js';
import { parseProgress, progressKeyFor, serializeProgress } from '../../src/transfer/progress-record.js';
import { readSmallObject } from '../../src/transfer/download-stream.js';
import { verifyBackup } from '../../src/transfer/verify.js';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { type LocationKind, type TestLocation, makeLocation, makeZfs, mountpointOf, silentLog, testDataset } from '../helpers/core-fixture.js';
import { getTestEnv, makeS3Client, needs, uniqueName, writeRandomFile } from '../helpers/test-env.js';

/**
 * Resumable backups in process (runBackup against real stores and zfs-fuse): an interrupted backup
 * keeps its upload and progress record; the retry re-hashes the regenerated prefix and skips what is
 * stored; a record that does not match the stream (tampered hash, re-created snapshot) makes the retry
 * start over, say why, and discard the old upload.
 */
const MiB = 1024 * 1024;
const zfs = makeZfs();
const PART = 5 * MiB;

const KINDS: Array<[LocationKind, ('zfs' | 's3' | 'swift')[]]> = [
  ['local', ['zfs']],
  ['swift', ['zfs', 'swift']],
];

for (const [kind, parts] of KINDS) {
  describe.skipIf(!needs(...parts))(`resumable backups (${kind})`, () => {
    let t: TestLocation;
    let ds: ReturnType<typeof testDataset>;
    beforeAll(async () => {
      t = await makeLocation(kind);
      ds = testDataset(uniqueName('resume'));
      await zfs.run(['create', ds]);
      await writeRandomFile(path.join(await mountpointOf(zfs, ds), 'a.bin'), 24 * MiB);
    });
    afterAll(async () => {
      await zfs.destroyDataset(ds).catch(() => {});
      await t?.cleanup();
    });

    const req = (snap: string) => ({
      dataset: ds,
      snapshot: snap,
      backup: snap,
      volume: 'v',
      layout: t.loc.layout,
      transfer: { partSize: PART, concurrency: 2 },
    });
    const deps = () => ({ zfs, store: t.store, log: silentLog });

    /** Runs a backup and interrupts it (as SIGTERM would: UNAVAILABLE) once `bytes` were read. */
    async function interrupted(snap: string, bytes: number): Promise<void> {
      const ac = new AbortController();
      // Paced, so the interruption lands mid-stream (progress is reported every 500 ms).
      const slow = { ...req(snap), transfer: { ...req(snap).transfer, rateLimitBytesPerSec: 8 * MiB } };
      const err = await runBackup(slow, deps(), {
        signal: ac.signal,
        onProgress: (p) => {
          // In the transfer phase only: at 'commit' the upload may complete before the abort lands.
          if (p.phase === 'transfer' && p.bytes >= bytes) ac.abort(new SnapstreamError(ErrorCode.UNAVAILABLE, 'test: shutting down', { retryable: true }));
        },
      }).catch((e) => e);
      expect(err.code).toBe('UNAVAILABLE');
      expect((await listBackups(t.store, t.loc.layout)).backups.map((b) => b.backup)).not.toContain(snap);
      expect(await t.store.head(`${dataKeyFor(t.loc.layout, snap, 'v')}.snapstream.json`)).toBeUndefined();
    }

    async function leftovers(): Promise<string[]> {
      const keys: string[] = [];
      for await (const o of t.store.list('')) keys.push(o.key);
      if (kind === 'swift') {
        const ep = getTestEnv().swift!;
        const res = await makeS3Client(ep).send(new ListMultipartUploadsCommand({ Bucket: (t.loc.store as { bucket: string }).bucket }));
        keys.push(...(res.Uploads ?? []).map((u) => `upload:${u.Key}`));
      } else {
        const root = (t.loc.store as { path: string }).path;
        const walk = async (d: string): Promise<string[]> => {
          const out: string[] = [];
          for (const e of await fs.readdir(d, { withFileTypes: true })) {
            if (e.isDirectory()) out.push(...(await walk(path.join(d, e.name))));
            else if (e.name.includes('.snapstream-partial-')) out.push(`partial:${e.name}`);
          }
          return out;
        };
        keys.push(...(await walk(root)));
      }
      return keys.sort();
    }

    async function committedAndClean(snap: string, outcome: ResumeOutcome | undefined) {
      const m = (await listBackups(t.store, t.loc.layout)).backups.find((b) => b.backup === snap)!;
      expect(m).toBeDefined();
      expect((await verifyBackup(t.store, m, { log: silentLog })).bytes).toBe(m.size);
      await deleteBackup(t.store, m);
      expect(await leftovers()).toEqual([]);
      return outcome!;
    }

    it('an interrupted backup keeps its upload and record; the retry skips the stored parts and commits', async () => {
      const snap = 'r1';
      await zfs.snapshot(ds, parseSnapshotShortName(snap));
      await interrupted(snap, 8 * MiB);
      const rec = parseProgress(await readSmallObject(t.store, progressKeyFor(dataKeyFor(t.loc.layout, snap, 'v')), 4 * MiB), 'record');
      expect(rec.parts.length).toBeGreaterThan(0);
      let outcome: ResumeOutcome | undefined;
      await runBackup(req(snap), deps(), { onResume: (o) => (outcome = o) });
      const o = await committedAndClean(snap, outcome);
      expect(o.restartReason).toBe('');
      expect(o.resumedBytes).toBe(rec.parts.length * PART);
    });

    it('a record whose part hash differs from the regenerated stream: the retry starts over, says why, and discards the old upload', async () => {
      const snap = 'r2';
      await zfs.snapshot(ds, parseSnapshotShortName(snap));
      await interrupted(snap, 8 * MiB);
      const key = progressKeyFor(dataKeyFor(t.loc.layout, snap, 'v'));
      const rec = parseProgress(await readSmallObject(t.store, key, 4 * MiB), 'record');
      rec.parts[0]!.xxh64 = rec.parts[0]!.xxh64 === '0000000000000000' ? '1111111111111111' : '0000000000000000';
      await t.store.put(key, serializeProgress(rec));
      let outcome: ResumeOutcome | undefined;
      await runBackup(req(snap), deps(), { onResume: (o) => (outcome = o) });
      const o = await committedAndClean(snap, outcome);
      expect(o.restartReason).toMatch(/differs from the interrupted one at part 1/);
      expect(o.resumedBytes).toBe(0);
    });

    // The store-independent cases run on the local store only (Swift is slow here; CI time).
    const itLocal = kind === 'local' ? it : it.skip;

    itLocal('the snapshot was destroyed and re-created under the same name: the retry starts over (guid changed)', async () => {
      const snap = 'r3';
      await zfs.snapshot(ds, parseSnapshotShortName(snap));
      await interrupted(snap, 8 * MiB);
      await zfs.destroySnapshot(ds, parseSnapshotShortName(snap));
      await zfs.snapshot(ds, parseSnapshotShortName(snap));
      let outcome: ResumeOutcome | undefined;
      await runBackup(req(snap), deps(), { onResume: (o) => (outcome = o) });
      const o = await committedAndClean(snap, outcome);
      expect(o.restartReason).toMatch(/guid changed/);
      expect(o.resumedBytes).toBe(0);
    });

    itLocal('a cancel (ABORTED) discards the upload and the record: nothing is left to resume', async () => {
      const snap = 'r4';
      await zfs.snapshot(ds, parseSnapshotShortName(snap));
      const ac = new AbortController();
      const slow = { ...req(snap), transfer: { ...req(snap).transfer, rateLimitBytesPerSec: 8 * MiB } };
      const err = await runBackup(slow, deps(), { signal: ac.signal, onProgress: (p) => p.phase === 'transfer' && p.bytes >= 8 * MiB && ac.abort(new Error('user cancelled')) }).catch((e) => e);
      expect(err.code).toBe('ABORTED');
      expect(await leftovers()).toEqual([]);
    });
  });
}
