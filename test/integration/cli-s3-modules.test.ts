import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSourceSnapshot, makeZfs, mountpointOf, testDataset } from '../helpers/core-fixture.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, needs, treeDigest, uniqueName } from '../helpers/test-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/snapstream.js');
const RECORDER = path.join(ROOT, 'test/helpers/record-modules.mjs');
/** What a plain backup or restore must not load: the AWS SDK's S3 client and its providers, the SDK's signer. */
const SDK = /@aws-sdk[/\\](client-s3|credential-providers)|@smithy[/\\]signature-v4/;

/**
 * A plain backup and restore through the CLI against radosgw never load the AWS SDK (nor `yaml`): every request
 * they make (HEAD, manifest GET/PUT, create/complete, parts, ranged GETs) goes through S3Control and
 * S3Direct with static keys from the environment. Module loads are recorded by a --import preload;
 * `ls` (a list, still the SDK's) shows that the recorder does see the SDK when it is loaded.
 */
describe.skipIf(!needs('zfs', 's3'))('CLI against radosgw without the AWS SDK', () => {
  const ep = getTestEnv().s3!;
  const zfs = makeZfs();
  const ds = testDataset(uniqueName('nosdk'));
  const target = testDataset(uniqueName('nosdkr'));
  const bucket = uniqueName('nosdk');
  let dir: string;
  const loc = () => `s3://${bucket}/p?endpoint=${encodeURIComponent(ep.endpoint)}&region=${ep.region}`;

  /** Runs the CLI with the recorder; resolves with its result and the modules it loaded. */
  const cli = async (name: string, extraEnv: Record<string, string>, ...args: string[]) => {
    const file = path.join(dir, `${name}.modules`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SNAPSTREAM_LOG_LEVEL: 'warn',
      AWS_ACCESS_KEY_ID: ep.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ep.secretAccessKey,
      SNAPSTREAM_TEST_MODULES_FILE: file,
      // vitest.config.ts sets it to '1'; the SDK wants 'true' (the launcher only fills it in when unset).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...extraEnv,
    };
    delete env.AWS_PROFILE;
    const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], { encoding: 'utf8', env });
    const modules = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    return { code: r.status, out: r.stdout, err: r.stderr, modules };
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-nosdk-'));
    await createBucket(ep, bucket);
    await createSourceSnapshot(zfs, ds, 12 * 1024 * 1024);
  });
  afterAll(async () => {
    await zfs.destroyDataset(ds).catch(() => {});
    await zfs.destroyDataset(target).catch(() => {});
    await emptyAndDeleteBucket(ep, bucket).catch(() => {});
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('backup and restore load no SDK module and restore the same files; ls (a list) does', async () => {
    const b = await cli('backup', {}, 'backup', `${ds}@s1`, '--to', loc(), '--backup', 'nosdk1', '--volume', 'v');
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    const r = await cli('restore', {}, 'restore', '--from', loc(), '--backup', 'nosdk1', '--volume', 'v', '--target', target);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await treeDigest(await mountpointOf(zfs, target))).toBe(await treeDigest(await mountpointOf(zfs, ds)));
    for (const run of [b, r]) {
      // The recorder saw the S3 store's modules (so it was recording) but nothing of the SDK's.
      expect(run.modules.some((m) => m.includes('s3-control.js'))).toBe(true);
      expect(run.modules.filter((m) => SDK.test(m))).toEqual([]);
      // `yaml` is read only for a VolumeSnapshotLocation file (src/cli/context.ts).
      expect(run.modules.filter((m) => /node_modules[/\\]yaml[/\\]/.test(m))).toEqual([]);
    }
    const ls = await cli('ls', {}, 'ls', loc(), '--json');
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.out).backups).toMatchObject([{ backup: 'nosdk1', volume: 'v' }]);
    expect(ls.modules.some((m) => /@aws-sdk[/\\]client-s3/.test(m))).toBe(true);
  });

  it('SNAPSTREAM_S3_FAST_CONTROL=false sends the small requests through the SDK again', async () => {
    const r = await cli('restore-sdk', { SNAPSTREAM_S3_FAST_CONTROL: 'false' }, 'restore', '--from', loc(), '--backup', 'nosdk1', '--volume', 'v', '--target', target, '--force');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await treeDigest(await mountpointOf(zfs, target))).toBe(await treeDigest(await mountpointOf(zfs, ds)));
    expect(r.modules.some((m) => /@aws-sdk[/\\]client-s3/.test(m))).toBe(true);
  });
});
