import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { createSourceSnapshot, makeZfs, mountpointOf, testDataset } from '../helpers/core-fixture.js';
import { needs, treeDigest, uniqueName, writeRandomFile } from '../helpers/test-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/snapstream.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SNAPSTREAM_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('CLI usage errors (no servers needed)', () => {
  it('prints help and lists every command', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['backup', 'restore', 'ls', 'verify', 'delete', 'agent']) expect(r.out).toContain(`  ${c}`);
    expect(cli().code).toBe(2);
    expect(cli('backup', '--help').out).toMatch(/Usage: snapstream backup POOL\/DATASET@SNAPSHOT --to LOCATION/);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['backup', 'tank/v@s'], /--to is required/],
    [['backup', 'tank/v', '--to', 'file:///tmp/x'], /INVALID_NAME.*has no "@"/],
    [['backup', 'tank/v@s', '--to', 'file:///tmp/x', '--bogus'], /Unknown option '--bogus'.*snapstream backup --help/],
    [['backup', 'tank/v@s', '--to', 'ftp://x'], /INVALID_LOCATION.*unsupported scheme/],
    [['backup', 'tank/v@s', '--to', 'file:///tmp/x', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64/],
    [['restore', '--from', 'file:///tmp/x', '--backup', 'b'], /--volume is required/],
    [['ls', 's3://UPPER'], /invalid bucket name/],
    [['restore', '--from', 'file:///tmp/x', '--backup', 'b', '--volume', 'v', '--target', 'tank/r', '--rate-limit', 'fast'], /--rate-limit/],
  ])('%j exits 2 with a message naming the fix', (args, msg) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });
});

describe.skipIf(!needs('zfs'))('CLI end to end on a local directory', () => {
  const zfs = makeZfs();
  const ds = testDataset(uniqueName('cli'));
  const target = testDataset(uniqueName('clir'));
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-cli-'));
    await createSourceSnapshot(zfs, ds, 12 * 1024 * 1024);
  });
  afterAll(async () => {
    await zfs.destroyDataset(ds).catch(() => {});
    await zfs.destroyDataset(target).catch(() => {});
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('backup, ls, verify, restore; exit 3 on corruption', async () => {
    const loc = `file://${dir}`;
    const b = cli('backup', `${ds}@s1`, '--to', loc, '--backup', 'cli1', '--volume', 'v');
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/backed up .*@s1 \(full\) as backup cli1, volume v: 12\.\d MiB in 2 parts/);
    const ls = JSON.parse(cli('ls', loc, '--json').out);
    expect(ls.backups).toMatchObject([{ backup: 'cli1', volume: 'v', incremental: false, parts: 2 }]);
    expect(cli('verify', loc, '--all').code).toBe(0);

    const r = cli('restore', '--from', loc, '--backup', 'cli1', '--volume', 'v', '--target', target, '--target-ip', '10.0.0.9');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/every part verified/);
    expect(await treeDigest(await mountpointOf(zfs, target))).toBe(await treeDigest(await mountpointOf(zfs, ds)));
    expect(await zfs.getProperty(target, 'io.openebs:targetip')).toBe('10.0.0.9');
    await zfs.destroyDataset(target);

    const obj = path.join(dir, 'backups/cli1/v-cli1');
    const h = await fs.open(obj, 'r+');
    await h.write(Buffer.from([0x5a]), 0, 1, 9 * 1024 * 1024);
    await h.close();
    const v = cli('verify', loc, '--all');
    expect(v.code).toBe(3);
    expect(v.out).toMatch(/FAILED  cli1 v: .*part 2 /);
    const r2 = cli('restore', '--from', loc, '--backup', 'cli1', '--volume', 'v', '--target', target);
    expect(r2.code).toBe(3);
    expect(r2.err).toMatch(/INTEGRITY_MISMATCH: .*part 2/);
    expect(await zfs.exists(target)).toBe(false);

    expect(cli('delete', loc, '--backup', 'cli1', '--volume', 'v').code).toBe(0);
    expect(JSON.parse(cli('ls', loc, '--json').out).backups).toEqual([]);
  });

  it('takes a VolumeSnapshotLocation file as the location and applies its seed flags', async () => {
    const bucket = path.join(dir, 'vsl-bucket');
    const vslFile = path.join(dir, 'vsl.yaml');
    await fs.writeFile(
      vslFile,
      [
        'apiVersion: velero.io/v1',
        'kind: VolumeSnapshotLocation',
        'metadata: {name: nightly, namespace: velero}',
        'spec:',
        '  provider: openebs.io/cstor-blockstore',
        '  config:',
        '    provider: local',
        `    path: ${bucket}`,
        '    disableIncrementalBackups: "true"',
        '    autoSetTargetIP: "true"',
        '',
      ].join('\n'),
    );
    await writeRandomFile(path.join(await mountpointOf(zfs, ds), 'g.bin'), 1024 * 1024);
    await zfs.snapshot(ds, parseSnapshotShortName('s2'));
    // --from is given, but the location disables incremental backups: the stream must be full.
    const b = cli('backup', `${ds}@s2`, '--to', vslFile, '--from', 's1', '--backup', 'vsl2', '--volume', 'v', '--json');
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out)).toMatchObject({ backup: 'vsl2', previousSnapshot: '' });
    expect(JSON.parse(cli('ls', `file://${bucket}`, '--json').out).backups).toMatchObject([{ backup: 'vsl2', incremental: false }]);

    const noIp = cli('restore', '--from', vslFile, '--backup', 'vsl2', '--volume', 'v', '--target', target);
    expect(noIp.code).toBe(2);
    expect(noIp.err).toMatch(/autoSetTargetIP: give the target IP with --target-ip/);
    expect(await zfs.exists(target)).toBe(false);

    const bad = cli('ls', `${vslFile}#other`);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/has no location named "other" \(it has: nightly\)/);
  });
});
