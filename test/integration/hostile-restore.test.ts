import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { runRestore } from '../../src/transfer/restore.js';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { RecordType, walkRecords } from '../../src/zstream/index.js';
import { REPO, ensureBuilt } from '../agent/helpers/agent-process.js';
import { type TestLocation, makeLocation, makeZfs, silentLog, testDataset } from '../helpers/core-fixture.js';
import { plantBackup, zfsBytes } from '../helpers/forge-backup.js';
import { destroyDataset, needs, uniqueName } from '../helpers/test-env.js';

/**
 * Issue 10, finding 1: a stream decides where and how a dataset is mounted. A real `zfs send -p` of
 * a dataset with mountpoint=<host dir> setuid=on devices=on, stored with a manifest whose hashes all
 * match, restored "verified" and mounted there. Now it is refused before zfs recv sees a byte.
 */
const zfs = makeZfs();
let hostDir: string;
let hostileMp: string;
let src: string;
let guidA: string;
let guidB: string;
let propsStream: Buffer;
let plainA: Buffer;
const targets: string[] = [];

function mounted(p: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === p);
}

function cli(args: string[]) {
  ensureBuilt();
  return spawnSync(process.execPath, [path.join(REPO, 'bin/snapstream.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

async function expectRefused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(p).rejects.toMatchObject({ code: ErrorCode.STREAM_REFUSED, message: expect.stringMatching(pattern) });
}

describe.skipIf(!needs('zfs'))('hostile streams never reach zfs recv', () => {
  let local: TestLocation;
  beforeAll(async () => {
    local = await makeLocation('local');
    hostDir = mkdtempSync(path.join(tmpdir(), 'snapstream-hostile-'));
    hostileMp = path.join(hostDir, 'etc-like');
    src = testDataset(uniqueName('hsrc'));
    await zfs.run(['create', '-o', `mountpoint=${hostileMp}`, '-o', 'setuid=on', '-o', 'devices=on', src]);
    await zfs.run(['snapshot', `${src}@a`]);
    await zfs.run(['snapshot', `${src}@b`]);
    guidA = await zfs.guid(src as never, parseSnapshotShortName('a'));
    guidB = await zfs.guid(src as never, parseSnapshotShortName('b'));
    propsStream = await zfsBytes(['send', '-p', `${src}@a`]);
    plainA = await zfsBytes(['send', `${src}@a`]);
    // Free the host path again: only a restore could mount something there now.
    await zfs.run(['set', `mountpoint=/${src}`, src]);
    expect(mounted(hostileMp)).toBe(false);
    rmSync(hostileMp, { recursive: true, force: true });
  });
  afterAll(async () => {
    for (const t of targets) await destroyDataset(t).catch(() => {});
    if (src) await destroyDataset(src).catch(() => {});
    await local?.cleanup();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  it('the record walker reads real zfs-fuse streams end to end from their headers (plain and -p)', async () => {
    // Some files, so the stream has OBJECT and WRITE records with payloads.
    const ds = testDataset(uniqueName('hwalk'));
    targets.push(ds);
    await zfs.run(['create', ds]);
    const mp = await zfs.getProperty(ds as never, 'mountpoint');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(mp, 'big.bin'), Buffer.alloc(300 * 1024 + 17, 1));
    writeFileSync(path.join(mp, 'small.txt'), 'x'.repeat(13));
    await zfs.run(['snapshot', `${ds}@w`]);
    for (const stream of [await zfsBytes(['send', `${ds}@w`]), propsStream]) {
      const recs = [...walkRecords(stream)];
      const types = new Set(recs.map((r) => r.header.type));
      const last = recs.at(-1)!;
      expect(last.header.type).toBe(RecordType.END);
      expect(last.offset + 312).toBe(stream.length);
      expect(recs[0]!.header.type).toBe(RecordType.BEGIN);
      if (stream !== propsStream) expect([...types]).toEqual(expect.arrayContaining([RecordType.OBJECT, RecordType.WRITE]));
    }
  });

  it('a zfs send -p stream with a matching manifest: STREAM_REFUSED (CLI exit 3), nothing mounted, no target', async () => {
    expect(propsStream.subarray(0, 4096).toString('latin1')).toContain(hostileMp); // the stream carries it
    await plantBackup(local.store, local.loc.layout, 'hostile-p', 'pvc-h', propsStream, { dataset: src, snapshot: 'a', snapshotGuid: guidA });
    const target = testDataset(uniqueName('hdst'));
    targets.push(target);
    const r = cli(['restore', '--from', local.url, '--backup', 'hostile-p', '--volume', 'pvc-h', '--target', target, '-q']);
    expect(r.stderr).toMatch(/error STREAM_REFUSED: refusing to receive backup hostile-p: it is a compound stream/);
    expect(r.status).toBe(3);
    expect(await zfs.exists(target as never)).toBe(false);
    expect(mounted(hostileMp)).toBe(false);
    expect(existsSync(hostileMp)).toBe(false);
  });

  it('the same stream with --allow-stream-properties is received, and its properties applied (the explicit opt-in)', async () => {
    const target = testDataset(uniqueName('hdst'));
    targets.push(target);
    const r = cli(['restore', '--from', local.url, '--backup', 'hostile-p', '--volume', 'pvc-h', '--target', target, '--allow-stream-properties', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // zfs-fuse has no recv -x/-o: opting in really means the stream's properties apply.
    expect(await zfs.getProperty(target as never, 'setuid')).toBe('on');
    await destroyDataset(target);
  });

  it('a stream of another snapshot than the manifest records (toguid) is refused', async () => {
    await plantBackup(local.store, local.loc.layout, 'forged-guid', 'pvc-h', plainA, { dataset: src, snapshot: 'b', snapshotGuid: guidB });
    const target = testDataset(uniqueName('hdst'));
    targets.push(target);
    await expectRefused(
      runRestore({ backup: 'forged-guid', volume: 'pvc-h', layout: local.loc.layout, target }, { zfs, store: local.store, log: silentLog }),
      new RegExp(`stream of snapshot guid ${guidA}, but the manifest records snapshot guid ${guidB}`),
    );
    expect(await zfs.exists(target as never)).toBe(false);
  });

  it('the legacy unverified path (--allow-unverified, no manifest) goes through the same guard', async () => {
    await plantBackup(local.store, local.loc.layout, 'legacy-p', 'pvc-h', propsStream, {}, { manifest: false });
    const target = testDataset(uniqueName('hdst'));
    targets.push(target);
    const r = cli(['restore', '--from', local.url, '--backup', 'legacy-p', '--volume', 'pvc-h', '--target', target, '--allow-unverified', '-q']);
    expect(r.stderr).toMatch(/error STREAM_REFUSED: refusing to receive unverified backup legacy-p: it is a compound stream/);
    expect(r.status).toBe(3);
    expect(await zfs.exists(target as never)).toBe(false);
    expect(mounted(hostileMp)).toBe(false);
  });

  it('a plain stream the manifest describes restores as before', async () => {
    await plantBackup(local.store, local.loc.layout, 'plain-a', 'pvc-h', plainA, { dataset: src, snapshot: 'a', snapshotGuid: guidA });
    const target = testDataset(uniqueName('hdst'));
    targets.push(target);
    const r = await runRestore({ backup: 'plain-a', volume: 'pvc-h', layout: local.loc.layout, target }, { zfs, store: local.store, log: silentLog });
    expect(r).toMatchObject({ snapshot: 'a', verified: true });
    expect(await zfs.guid(target as never, parseSnapshotShortName('a'))).toBe(guidA);
  });

  // radosgw by default; SNAPSTREAM_TEST_HOSTILE_S3=swift uses Swift's S3 API instead.
  const S3 = process.env.SNAPSTREAM_TEST_HOSTILE_S3 === 'swift' ? 'swift' : 's3';
  describe.skipIf(!needs('zfs', S3))(`against ${S3 === 's3' ? 'radosgw' : 'swift'}`, () => {
    let s3: TestLocation;
    beforeAll(async () => {
      s3 = await makeLocation(S3 === 's3' ? 'radosgw' : 'swift');
    });
    afterAll(async () => {
      await s3?.cleanup();
    });
    it('the -p stream is refused from S3 too', async () => {
      await plantBackup(s3.store, s3.loc.layout, 'hostile-p', 'pvc-h', propsStream, { dataset: src, snapshot: 'a', snapshotGuid: guidA });
      const target = testDataset(uniqueName('hdst'));
      targets.push(target);
      await expectRefused(runRestore({ backup: 'hostile-p', volume: 'pvc-h', layout: s3.loc.layout, target }, { zfs, store: s3.store, log: silentLog }), /compound stream/);
      expect(await zfs.exists(target as never)).toBe(false);
      expect(mounted(hostileMp)).toBe(false);
    });
  });
});
