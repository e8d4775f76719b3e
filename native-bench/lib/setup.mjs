// What the bench brings up and tears down: its own zfs-fuse pool with datasets of random and
// compressible data (one snapshot per size, so 1, 2 and 4 GiB share one write), and an S3 server
// (a running one given by env, else its own Ceph radosgw from scripts/test-env/ceph-up.sh).
// Everything created is recorded in `state` and removed by teardown(), also after a failure.
import { spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { run } from './measure.mjs';

const MiB = 1024 * 1024;
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
export { log };

/** Starts the zfs-fuse daemon when no ZFS answers and zfs-fuse is installed. */
export async function ensureZfs(state) {
  try {
    await run(['zpool', 'list', '-H']);
    return;
  } catch {
    /* not running */
  }
  if (!existsSync('/usr/sbin/zfs-fuse') && !existsSync('/usr/bin/zfs-fuse')) {
    throw new Error('no working zfs: install zfs-fuse (apt-get install zfs-fuse) or load the ZFS kernel module');
  }
  log('starting the zfs-fuse daemon');
  await run(['zfs-fuse', '--pidfile', path.join(state.workDir, 'zfs-fuse.pid')]);
  for (let i = 0; i < 50; i++) {
    try {
      await run(['zpool', 'list', '-H']);
      state.startedZfsFuse = path.join(state.workDir, 'zfs-fuse.pid');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('zfs-fuse did not answer within 10 s');
}

/** Pid of the zfs-fuse daemon (for its CPU), if there is one. */
export async function zfsDaemonPid() {
  try {
    const out = await run(['pgrep', '-x', 'zfs-fuse']);
    return Number(out.trim().split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the pool on a sparse file and fills datasets `<pool>/random` (compression off) and
 * `<pool>/text` (lzjb, roughly 2.4:1) with a snapshot `@<label>` per size of that kind
 * (`kinds`: [{ kind, sizes }]). Returns the snapshots.
 */
export async function makePool(state, { kinds }) {
  const max = Math.max(...kinds.flatMap((k) => k.sizes));
  const pool = `nbench${randomBytes(3).toString('hex')}`;
  const img = path.join(state.workDir, 'pool.img');
  // Sources (random at full size, text at about half) + one restore target + ZFS slack.
  // Sparse, so size is free: room for the data, a restore target, and the space zfs-fuse frees only
  // lazily after the previous restores' targets were destroyed (with the agent and --baseline
  // contenders, 1 GiB runs filled a 3x pool: "cannot receive: out of space").
  const imgBytes = Math.ceil((6 * max + 2048 * MiB) / MiB) * MiB;
  await run(['truncate', '-s', String(imgBytes), img]);
  const mnt = path.join(state.workDir, 'mnt');
  mkdirSync(mnt, { recursive: true });
  await run(['zpool', 'create', '-f', '-m', mnt, pool, img]);
  state.pool = pool;
  state.poolImage = img;
  log(`pool ${pool} on ${img} (${(imgBytes / 2 ** 30).toFixed(1)} GiB sparse)`);
  const snaps = [];
  for (const { kind, sizes } of kinds) {
    const ds = `${pool}/${kind}`;
    await run(['zfs', 'create', '-o', `compression=${kind === 'text' ? 'lzjb' : 'off'}`, ds]);
    const file = path.join(mnt, kind, 'data.bin');
    const h = await open(file, 'w');
    const buf = Buffer.allocUnsafe(MiB);
    let written = 0;
    const t0 = Date.now();
    try {
      for (const size of [...sizes].sort((a, b) => a - b)) {
        while (written < size) {
          fill(buf, kind, written);
          const n = Math.min(buf.length, size - written);
          await h.write(buf, 0, n);
          written += n;
        }
        await h.sync();
        const label = sizeLabel(size);
        await run(['zfs', 'snapshot', `${ds}@${label}`]);
        snaps.push({ kind, size, label, dataset: ds, snapshot: `${ds}@${label}` });
      }
    } finally {
      await h.close();
    }
    const ratio = (await run(['zfs', 'get', '-H', '-o', 'value', 'compressratio', ds])).trim();
    log(`${ds}: ${fmtSize(written)} written in ${((Date.now() - t0) / 1000).toFixed(1)} s, compressratio ${ratio}`);
  }
  return snaps;
}

const TEXT = Buffer.from(
  Array.from({ length: 64 }, (_, i) => `2026-11-24T19:${String(i % 60).padStart(2, '0')}:00Z level=info msg="request served" path=/api/v1/items/${i * 7919} status=200 bytes=${i * 131}\n`).join(''),
);

/** Random bytes, or log-like text with a random quarter (lzjb makes that about 2:1). */
function fill(buf, kind, offset) {
  if (kind === 'random') {
    randomFillSync(buf);
    return;
  }
  for (let p = 0; p < buf.length; p += TEXT.length) TEXT.copy(buf, p, (offset / MiB) % 97, Math.min(TEXT.length, buf.length - p));
  for (let p = 0; p < buf.length; p += 128 * 1024) randomFillSync(buf, p, 32 * 1024);
}

export function sizeLabel(bytes) {
  return bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30}g` : `${Math.round(bytes / MiB)}m`;
}

export function fmtSize(bytes) {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(0)} MiB`;
}

/** Stream size and xxh64 of `zfs send SNAP`: the reference every contender is checked against. */
export async function streamFacts(snapshot) {
  const send = spawn('zfs', ['send', snapshot], { stdio: ['ignore', 'pipe', 'pipe'] });
  const xx = spawn('xxhsum', ['-H1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let bytes = 0;
  send.stdout.on('data', (b) => {
    bytes += b.length;
  });
  send.stdout.pipe(xx.stdin);
  let out = '';
  xx.stdout.on('data', (b) => (out += b));
  const [c1, c2] = await Promise.all([
    new Promise((r) => send.on('close', r)),
    new Promise((r) => xx.on('close', r)),
  ]);
  if (c1 !== 0 || c2 !== 0) throw new Error(`zfs send ${snapshot} | xxhsum failed (${c1}, ${c2})`);
  const guid = (await run(['zfs', 'get', '-H', '-o', 'value', 'guid', snapshot])).trim();
  return { bytes, xxh64: out.trim().split(/\s+/)[0], guid };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * An S3 endpoint: NATIVE_BENCH_S3_ENDPOINT (+ _KEY, _SECRET) reuses a running server; otherwise a
 * radosgw with a memstore large enough for the biggest stream is started in the work dir.
 */
export async function ensureS3(state, { repoDir, maxStream }) {
  const reuse = process.env.NATIVE_BENCH_S3_ENDPOINT;
  const key = process.env.NATIVE_BENCH_S3_KEY ?? 'TESTAK';
  const secret = process.env.NATIVE_BENCH_S3_SECRET ?? 'TESTSK';
  let endpoint = reuse;
  if (!reuse) {
    const dir = path.join(state.workDir, 'ceph');
    // Room for the restore fixture plus one backup in flight plus deleted data not yet collected.
    const mem = Math.max(3 * 2 ** 30, 3 * maxStream + 2 ** 30);
    state.cephDir = dir;
    // A fresh cluster now and then does not form ("wrong fsid" from the mon to the OSD's first
    // commands; ceph-up.sh then stops what it started): one more cluster from scratch, as the test
    // environment does (test/setup/radosgw.ts).
    for (let attempt = 1; ; attempt++) {
      const rgwPort = await freePort();
      let monPort = await freePort();
      while (monPort === rgwPort) monPort = await freePort();
      log(`starting radosgw on :${rgwPort} (memstore ${fmtSize(mem)}); ~15 s${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      try {
        await run(['bash', path.join(repoDir, 'scripts/test-env/ceph-up.sh'), dir, String(rgwPort), String(monPort), String(mem)], {
          env: { ...process.env, S3_KEY: key, S3_SECRET: secret },
        });
        endpoint = `http://127.0.0.1:${rgwPort}`;
        break;
      } catch (e) {
        if (attempt >= 2) throw e;
        log(`radosgw did not come up (${String(e?.message ?? e).split('\n')[0]}); starting another cluster`);
      }
    }
  }
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key, secretAccessKey: secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A wedged server (a full memstore OSD blocks every write) must not hang the cleanup forever.
    requestHandler: { requestTimeout: 60_000, connectionTimeout: 10_000 },
    maxAttempts: 2,
  });
  const bucket = `nbench-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  state.s3 = { endpoint, key, secret, bucket, client, pid: await rgwPid(state, endpoint) };
  log(`S3 ${endpoint} bucket ${bucket}${reuse ? ' (reused server)' : ''}`);
  return state.s3;
}

async function rgwPid(state, endpoint) {
  if (state.cephDir) {
    try {
      return Number(readFileSync(path.join(state.cephDir, 'run', 'client.rgw.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }
  try {
    const port = new URL(endpoint).port;
    const out = await run(['ss', '-ltnpH', `sport = :${port}`]);
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes every object under `prefix` (and unfinished uploads); then lets radosgw reclaim space. */
export async function emptyPrefix(state, prefix) {
  const { client, bucket } = state.s3;
  let token;
  do {
    const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of res.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  const ups = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const u of ups.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  }
  await collectGarbage(state);
}

/** radosgw deletes multipart data lazily (hours by default); a memstore OSD needs it now. */
export async function collectGarbage(state) {
  if (!state.cephDir) return;
  await run(['radosgw-admin', '-c', path.join(state.cephDir, 'ceph.conf'), 'gc', 'process', '--include-all']).catch((e) =>
    log(`gc process failed (continuing): ${e.message.slice(0, 200)}`),
  );
}

/** Undoes everything in `state`; safe to call twice and after a partial setup. */
export async function teardown(state, repoDir) {
  const step = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      log(`cleanup: ${what} failed: ${e.message}`);
    }
  };
  if (state.s3) {
    await step('empty bucket', () => emptyPrefix(state, ''));
    await step('delete bucket', () => state.s3.client.send(new DeleteBucketCommand({ Bucket: state.s3.bucket })));
    state.s3.client.destroy();
    state.s3 = undefined;
  }
  if (state.cephDir) {
    await step('stop radosgw', () => run(['bash', path.join(repoDir, 'scripts/test-env/ceph-down.sh'), state.cephDir]));
    state.cephDir = undefined;
  }
  if (state.pool) {
    // zfs-fuse reports a pool busy for a few seconds after its last unmount: try again a few times.
    await step(`destroy pool ${state.pool}`, async () => {
      for (let i = 1; ; i++) {
        try {
          return await run(['zpool', 'destroy', '-f', state.pool]);
        } catch (e) {
          if (i >= 15 || !/busy/.test(e.message)) throw e;
          await new Promise((r) => setTimeout(r, Math.min(2000 * i, 5000)));
        }
      }
    });
    // A pool still imported keeps its image: removing the work dir would leave a pool without a file.
    if (!(await run(['zpool', 'list', '-H', '-o', 'name', state.pool]).then(() => true, () => false))) state.pool = undefined;
    else {
      log(`cleanup: pool ${state.pool} is still imported; keeping ${state.workDir} (its image). Remove later: zpool destroy -f ${state.pool}; rm -rf ${state.workDir}`);
      state.keepWorkDir = true;
    }
  }
  if (state.startedZfsFuse) {
    await step('stop zfs-fuse', async () => {
      const pid = Number(readFileSync(state.startedZfsFuse, 'utf8').trim());
      if (pid) process.kill(pid, 'SIGTERM');
    });
    state.startedZfsFuse = undefined;
  }
  if (state.workDir && !state.keepWorkDir) {
    await step('remove work dir', async () => rmSync(state.workDir, { recursive: true, force: true }));
  }
}
