// The contenders, each a way to move one snapshot's stream somewhere (backup) or back into ZFS
// (restore). Native ones are bash pipelines on purpose: they are the shell baseline a user would
// type. snapstream runs as its CLI (bin/snapstream.js, default settings), as a user runs it.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { run } from './measure.mjs';
import { emptyPrefix } from './setup.mjs';

const PIPE = 'set -euo pipefail; ';

/**
 * A contender: `argv(ctx)` is what runs (measured); `verify(ctx, result)` throws when the run did not
 * do its job; `cleanup(ctx)` removes what it made, unless it `keeps` a fixture the restores read.
 */
export function contenders({ repoDir, node, ssExtraArgs }) {
  const ss = (ctx, args) => [node, path.join(repoDir, 'bin/snapstream.js'), ...args, ...ssExtraArgs];
  const s3loc = (ctx, prefix) =>
    `s3://${ctx.s3.bucket}/${prefix}?endpoint=${encodeURIComponent(ctx.s3.endpoint)}&region=us-east-1&forcePathStyle=true`;
  const backupName = (ctx) => `b${ctx.runId}`;

  const checkManifest = (ctx, r) => {
    const m = JSON.parse(r.stdout);
    if (m.size !== ctx.facts.bytes) throw new Error(`manifest size ${m.size}, stream is ${ctx.facts.bytes}`);
    if (m.streamHash !== ctx.facts.xxh64) throw new Error(`manifest streamHash ${m.streamHash}, xxhsum says ${ctx.facts.xxh64}`);
    return { backup: m.backup, dataKey: m.dataKey };
  };
  const checkObject = async (ctx, key) => {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const h = await ctx.s3.client.send(new HeadObjectCommand({ Bucket: ctx.s3.bucket, Key: key }));
    if (h.ContentLength !== ctx.facts.bytes) throw new Error(`object ${key} is ${h.ContentLength} bytes, stream is ${ctx.facts.bytes}`);
  };
  const checkRestored = async (ctx) => {
    const guid = (await run(['zfs', 'get', '-H', '-o', 'value', 'guid', `${ctx.target}@${ctx.snap.label}`])).trim();
    if (guid !== ctx.facts.guid) throw new Error(`restored ${ctx.target}@${ctx.snap.label} has guid ${guid}, source has ${ctx.facts.guid}`);
  };
  // zfs-fuse answers "dataset is busy" for a moment after a receive; a target left behind fills the
  // pool and the next restore fails "out of space" (seen in a quiet 1 GiB run). So: retry, then say so.
  const destroyTarget = async (ctx) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await run(['zfs', 'destroy', '-r', ctx.target]);
        return;
      } catch (e) {
        if (/does not exist|could not find/.test(e.message)) return;
        if (attempt >= 20) throw new Error(`could not destroy ${ctx.target}: ${e.message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  return [
    // ---- limits of this machine ----
    {
      id: 'send-null',
      label: 'zfs send > /dev/null',
      phase: 'backup',
      family: 'limit',
      argv: (ctx) => ['bash', '-c', PIPE + 'zfs send "$1" > /dev/null', 'bench', ctx.snap.snapshot],
    },
    {
      id: 'send-xxhsum',
      label: 'zfs send | xxhsum -H1',
      phase: 'backup',
      family: 'limit',
      onlyFirstSize: true,
      argv: (ctx) => ['bash', '-c', PIPE + 'zfs send "$1" | xxhsum -H1', 'bench', ctx.snap.snapshot],
      verify: (ctx, r) => {
        if (!r.stdout.startsWith(ctx.facts.xxh64)) throw new Error(`xxhsum printed ${r.stdout.trim()}, expected ${ctx.facts.xxh64}`);
      },
    },
    {
      id: 'send-cat',
      label: 'zfs send | cat > file',
      phase: 'backup',
      family: 'limit',
      argv: (ctx) => ['bash', '-c', PIPE + 'zfs send "$1" | cat > "$2"', 'bench', ctx.snap.snapshot, ctx.catFile],
      keeps: 'catFile',
      cleanup: (ctx) => rmSync(ctx.catFile, { force: true }),
    },
    {
      // snapstream's local store fsyncs before it commits; this is the same durability by hand.
      id: 'send-cat-fsync',
      label: 'zfs send | cat > file; sync file',
      phase: 'backup',
      family: 'limit',
      onlyFirstSize: true,
      argv: (ctx) => ['bash', '-c', PIPE + 'zfs send "$1" | cat > "$2"; sync "$2"', 'bench', ctx.snap.snapshot, ctx.catFile + '.sync'],
      cleanup: (ctx) => rmSync(ctx.catFile + '.sync', { force: true }),
    },
    // ---- snapstream ----
    {
      id: 'ss-backup-local',
      label: 'snapstream backup -> local dir',
      phase: 'backup',
      family: 'snapstream',
      agent: true,
      argv: (ctx) => ss(ctx, ['backup', ctx.snap.snapshot, '--to', `file://${ctx.storeDir}`, '--backup', backupName(ctx), '--volume', 'v', '--json', '-q']),
      verify: (ctx, r) => checkManifest(ctx, r),
      keeps: 'localBackup',
      cleanup: (ctx, artifact) => rmSync(path.join(ctx.storeDir, 'backups', artifact.backup ?? backupName(ctx)), { recursive: true, force: true }),
    },
    {
      // h15-dedup: the deduplicated layout (docs/dedup.md), a first full backup: every segment is new.
      id: 'ss-backup-local-dedup',
      label: 'snapstream backup --dedup -> local dir',
      phase: 'backup',
      family: 'snapstream',
      agent: true,
      onlyFirstSize: true,
      argv: (ctx) => ss(ctx, ['backup', ctx.snap.snapshot, '--to', `file://${ctx.storeDir}`, '--dedup', '--backup', `d${backupName(ctx)}`, '--volume', 'v', '--json', '-q']),
      verify: (ctx, r) => checkManifest(ctx, r),
      keeps: 'localDedupBackup',
      cleanup: (ctx, artifact) => {
        rmSync(path.join(ctx.storeDir, 'backups', artifact.backup ?? `d${backupName(ctx)}`), { recursive: true, force: true });
        rmSync(path.join(ctx.storeDir, 'dedup'), { recursive: true, force: true });
      },
    },
    {
      id: 'ss-backup-s3',
      label: 'snapstream backup -> radosgw',
      phase: 'backup',
      family: 'snapstream',
      agent: true,
      s3: true,
      argv: (ctx) => ss(ctx, ['backup', ctx.snap.snapshot, '--to', s3loc(ctx, 'ss'), '--backup', backupName(ctx), '--volume', 'v', '--json', '-q']),
      verify: (ctx, r) => checkManifest(ctx, r),
      keeps: 's3Backup',
      cleanup: (ctx, artifact) => emptyPrefix(ctx.state, `ss/backups/${artifact.backup ?? backupName(ctx)}/`),
    },
    {
      // What an https endpoint gets by default (TLS protects the bytes, parts go out UNSIGNED-PAYLOAD);
      // over plain http snapstream, like the AWS CLI, signs every part's SHA-256 unless told not to.
      id: 'ss-backup-s3-unsigned',
      label: 'snapstream backup -> radosgw, unsigned payload',
      phase: 'backup',
      family: 'snapstream',
      agent: true,
      s3: true,
      onlyFirstSize: true,
      env: { SNAPSTREAM_S3_SIGN_PAYLOAD: 'false' },
      argv: (ctx) => ss(ctx, ['backup', ctx.snap.snapshot, '--to', s3loc(ctx, 'ssu'), '--backup', backupName(ctx), '--volume', 'v', '--json', '-q']),
      verify: (ctx, r) => checkManifest(ctx, r),
      cleanup: (ctx, artifact) => emptyPrefix(ctx.state, `ssu/backups/${artifact.backup ?? backupName(ctx)}/`),
    },
    // ---- what users do by hand ----
    {
      id: 'aws-backup',
      label: 'zfs send | aws s3 cp -',
      phase: 'backup',
      family: 'tool',
      s3: true,
      argv: (ctx) => [
        'bash', '-c', PIPE + 'zfs send "$1" | /usr/bin/aws s3 cp --only-show-errors --endpoint-url "$2" - "s3://$3/$4"',
        'bench', ctx.snap.snapshot, ctx.s3.endpoint, ctx.s3.bucket, `aws/${ctx.runId}`,
      ],
      verify: (ctx) => checkObject(ctx, `aws/${ctx.runId}`),
      cleanup: (ctx) => emptyPrefix(ctx.state, `aws/${ctx.runId}`),
    },
    {
      id: 'rclone-backup',
      label: 'zfs send | rclone rcat',
      phase: 'backup',
      family: 'tool',
      s3: true,
      argv: (ctx) => ['bash', '-c', PIPE + 'zfs send "$1" | rclone rcat "bench:$2/$3"', 'bench', ctx.snap.snapshot, ctx.s3.bucket, `rclone/${ctx.runId}`],
      verify: (ctx) => checkObject(ctx, `rclone/${ctx.runId}`),
      cleanup: (ctx) => emptyPrefix(ctx.state, `rclone/${ctx.runId}`),
    },
    // ---- restores ----
    {
      id: 'recv-file',
      label: 'zfs recv < file',
      phase: 'restore',
      family: 'limit',
      needs: 'catFile',
      argv: (ctx) => ['bash', '-c', PIPE + 'zfs recv "$1" < "$2"', 'bench', ctx.target, ctx.catFile],
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      id: 'ss-restore-local',
      label: 'snapstream restore <- local dir',
      phase: 'restore',
      family: 'snapstream',
      agent: true,
      needs: 'localBackup',
      argv: (ctx) => ss(ctx, ['restore', '--from', `file://${ctx.storeDir}`, '--backup', ctx.fixture.backup, '--volume', 'v', '--target', ctx.target, '-q']),
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      id: 'ss-restore-local-dedup',
      label: 'snapstream restore <- local dir (dedup)',
      phase: 'restore',
      family: 'snapstream',
      agent: true,
      onlyFirstSize: true,
      needs: 'localDedupBackup',
      argv: (ctx) => ss(ctx, ['restore', '--from', `file://${ctx.storeDir}`, '--backup', ctx.fixture.backup, '--volume', 'v', '--target', ctx.target, '-q']),
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      id: 'ss-restore-s3',
      label: 'snapstream restore <- radosgw',
      phase: 'restore',
      family: 'snapstream',
      agent: true,
      s3: true,
      needs: 's3Backup',
      argv: (ctx) => ss(ctx, ['restore', '--from', s3loc(ctx, 'ss'), '--backup', ctx.fixture.backup, '--volume', 'v', '--target', ctx.target, '-q']),
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      // The stored object is a plain zfs send stream, so the hand-made restore reads snapstream's.
      id: 'aws-restore',
      label: 'aws s3 cp - | zfs recv',
      phase: 'restore',
      family: 'tool',
      s3: true,
      needs: 's3Backup',
      argv: (ctx) => [
        'bash', '-c', PIPE + '/usr/bin/aws s3 cp --only-show-errors --endpoint-url "$2" "s3://$3/$4" - | zfs recv "$1"',
        'bench', ctx.target, ctx.s3.endpoint, ctx.s3.bucket, ctx.fixture.dataKey,
      ],
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      id: 'rclone-restore',
      label: 'rclone cat | zfs recv',
      phase: 'restore',
      family: 'tool',
      s3: true,
      needs: 's3Backup',
      argv: (ctx) => ['bash', '-c', PIPE + 'rclone cat "bench:$2/$3" | zfs recv "$1"', 'bench', ctx.target, ctx.s3.bucket, ctx.fixture.dataKey],
      verify: checkRestored,
      cleanup: destroyTarget,
    },
  ];
}

/** Environment for the AWS CLI and rclone: credentials and the endpoint, nothing from the user's config. */
export function toolEnv(s3, workDir) {
  const env = { ...process.env };
  // Debian's rclone fails on this machine's AWS_CA_BUNDLE; plain http needs no CA anyway.
  delete env.AWS_CA_BUNDLE;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: s3.key,
    AWS_SECRET_ACCESS_KEY: s3.secret,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: path.join(workDir, 'aws-config-none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'aws-credentials-none'),
    AWS_EC2_METADATA_DISABLED: 'true',
    RCLONE_CONFIG: path.join(workDir, 'rclone-none.conf'),
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Ceph',
    RCLONE_CONFIG_BENCH_ENDPOINT: s3.endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: s3.key,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: s3.secret,
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    SNAPSTREAM_LOG_LEVEL: 'error',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
