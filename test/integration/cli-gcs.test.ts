import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSourceSnapshot, makeZfs, mountpointOf, testDataset } from '../helpers/core-fixture.js';
import { getTestEnv, needs, treeDigest, uniqueName } from '../helpers/test-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/snapstream.js');

/** The CLI as a user runs it against GCS: the emulator comes in through STORAGE_EMULATOR_HOST only. */
function cli(...args: string[]) {
  const env = { ...process.env, SNAPSTREAM_LOG_LEVEL: 'warn', STORAGE_EMULATOR_HOST: getTestEnv().gcs!.emulatorHost };
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!needs('zfs', 'gcs'))('CLI end to end on GCS (emulator)', () => {
  const zfs = makeZfs();
  const ds = testDataset(uniqueName('cligcs'));
  const targets = [testDataset(uniqueName('cligcsr')), testDataset(uniqueName('cligcsv'))];
  const bucket = uniqueName('ss-cli-gcs');
  let dir: string;
  let storage: Storage;
  beforeAll(async () => {
    const gcs = getTestEnv().gcs!;
    process.env.STORAGE_EMULATOR_HOST = gcs.emulatorHost;
    storage = new Storage({ projectId: gcs.projectId });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-cli-gcs-'));
    await createSourceSnapshot(zfs, ds, 11 * 1024 * 1024);
  });
  afterAll(async () => {
    for (const d of [ds, ...targets]) await zfs.destroyDataset(d).catch(() => {});
    await storage?.bucket(bucket).deleteFiles({ force: true }).catch(() => {});
    await storage?.bucket(bucket).delete().catch(() => {});
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('backup to a gs:// URL, ls, verify, restore byte for byte, delete', async () => {
    const loc = `gs://${bucket}/velero?project=${getTestEnv().gcs!.projectId}`;
    const b = cli('backup', `${ds}@s1`, '--to', loc, '--backup', 'g1', '--volume', 'v', '--part-size', '5Mi');
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/backed up .*@s1 \(full\) as backup g1, volume v: 1\d\.\d MiB in 3 parts/);
    // The objects sit under the URL's path in the bucket, as the layout says.
    const [files] = await storage.bucket(bucket).getFiles({ prefix: 'velero/backups/g1/' });
    expect(files.map((f) => f.name).sort()).toEqual(['velero/backups/g1/v-g1', 'velero/backups/g1/v-g1.snapstream.json']);
    expect(JSON.parse(cli('ls', loc, '--json').out).backups).toMatchObject([{ backup: 'g1', volume: 'v', incremental: false, parts: 3 }]);
    expect(cli('verify', loc, '--all').code).toBe(0);

    const r = cli('restore', '--from', loc, '--backup', 'g1', '--volume', 'v', '--target', targets[0]!);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/every part verified/);
    expect(await treeDigest(await mountpointOf(zfs, targets[0]!))).toBe(await treeDigest(await mountpointOf(zfs, ds)));

    expect(cli('delete', loc, '--backup', 'g1', '--volume', 'v').code).toBe(0);
    expect(JSON.parse(cli('ls', loc, '--json').out).backups).toEqual([]);
  });

  it('takes a VolumeSnapshotLocation with provider gcp', async () => {
    const vslFile = path.join(dir, 'vsl.yaml');
    await fs.writeFile(
      vslFile,
      [
        'apiVersion: velero.io/v1',
        'kind: VolumeSnapshotLocation',
        'metadata: {name: gcs, namespace: velero}',
        'spec:',
        '  provider: openebs.io/cstor-blockstore',
        '  config:',
        '    provider: gcp',
        `    bucket: ${bucket}`,
        `    project: ${getTestEnv().gcs!.projectId}`,
        '    backupPathPrefix: vsl',
        '    prefix: c1',
        '',
      ].join('\n'),
    );
    const b = cli('backup', `${ds}@s1`, '--to', vslFile, '--backup', 'g2', '--volume', 'v', '--json');
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out)).toMatchObject({ backup: 'g2', dataKey: 'vsl/backups/g2/c1-v-g2' });
    const r = cli('restore', '--from', vslFile, '--backup', 'g2', '--volume', 'v', '--target', targets[1]!);
    expect(r.code).toBe(0);
    expect(await treeDigest(await mountpointOf(zfs, targets[1]!))).toBe(await treeDigest(await mountpointOf(zfs, ds)));
  });
});
