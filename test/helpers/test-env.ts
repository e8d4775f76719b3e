/**
 * The integration-test environment, and helpers every integration test shares.
 *
 * CONTRACT (other tests rely on it; change only additively):
 *
 * - vitest's globalSetup for the integration tier (test/setup/global-setup.ts, wired in
 *   vitest.config.ts; one file per service beside it) brings up what the machine can run, then `provide('testEnv', env)`:
 *     env.zfsPool  a zfs-fuse pool `sstest<random>` on a sparse 6 GiB file, made for this run (the
 *                  zfs-fuse daemon is started if `zpool list` fails and zfs-fuse is installed).
 *                  Its root dataset is mounted under a temp dir; child datasets inherit that.
 *     env.s3       Ceph radosgw (memstore OSD, ~3 GiB cap), name 'radosgw'.
 *     env.swift    Swift + s3api, name 'swift'. Needs Content-MD5 on DeleteObjects (makeS3Client adds it).
 *     env.gcs      firebase-tools' Storage emulator; point @google-cloud/storage at it with
 *                  STORAGE_EMULATOR_HOST=env.gcs.emulatorHost (NOT apiEndpoint: setMetadata/copy 501).
 *                  No bucket creation call: buckets spring into existence on first upload.
 *     env.missing  one human-readable reason per component that is not available.
 *   Teardown stops only what globalSetup started and destroys the pool/buckets/dirs it made. Tests
 *   must clean up their own buckets/datasets (use uniqueName so runs never collide).
 * - Reuse instead of starting (each is optional):
 *     SNAPSTREAM_TEST_S3_ENDPOINT    (+ SNAPSTREAM_TEST_S3_KEY/SECRET, default TESTAK/TESTSK, _REGION us-east-1)
 *     SNAPSTREAM_TEST_SWIFT_ENDPOINT (+ SNAPSTREAM_TEST_SWIFT_KEY/SECRET, default test:tester/testing)
 *     SNAPSTREAM_TEST_GCS_HOST       (+ SNAPSTREAM_TEST_GCS_PROJECT, default demo-test)
 *     SNAPSTREAM_TEST_ZFS_POOL       an existing pool to use as is (nothing is created or destroyed)
 *   SNAPSTREAM_TEST_ONLY=zfs,s3    bring up only these (faster local runs); the rest is "missing".
 * - SNAPSTREAM_REQUIRE_INTEGRATION=1 (set by .ci/run): any requested component that fails to come up
 *   makes globalSetup throw, so the run fails. Otherwise a banner lists what is missing and tests
 *   that need it skip via `describe.skipIf(!needs('zfs', 's3'))(...)`.
 * - Unit tests (test/unit/**) get no globalSetup: getTestEnv() there returns an env with all missing.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { datasetBusy, datasetNotFound } from '../../src/zfs/stderr-classifiers.js';

export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  name: 'radosgw' | 'swift';
}

export interface GcsEmulator {
  /** e.g. http://127.0.0.1:9199; give it to @google-cloud/storage as STORAGE_EMULATOR_HOST. */
  emulatorHost: string;
  projectId: string;
}

export interface TestEnv {
  zfsPool?: string;
  /** Mountpoint of the pool's root dataset (children mount below it as <mount>/<child>). */
  zfsMount?: string;
  s3?: S3Endpoint;
  swift?: S3Endpoint;
  gcs?: GcsEmulator;
  missing: string[];
}

export type Part = 'zfs' | 's3' | 'swift' | 'gcs';

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

const NO_SETUP: TestEnv = {
  missing: ['integration globalSetup did not run (this file is not in the integration project of vitest.config.ts)'],
};

export function getTestEnv(): TestEnv {
  let env: TestEnv | undefined;
  try {
    env = inject('testEnv');
  } catch {
    env = undefined;
  }
  return env ?? NO_SETUP;
}

/** True when every named part is up: `describe.skipIf(!needs('zfs', 's3'))(...)`. */
export function needs(...parts: Part[]): boolean {
  const env = getTestEnv();
  return parts.every((p) => (p === 'zfs' ? env.zfsPool !== undefined : env[p] !== undefined));
}

/** Lower-case, starts with a letter, valid as bucket, dataset and object-key component; unique per call. */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '') || 't';
  return `${clean.slice(0, 40)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function makeS3Client(ep: S3Endpoint): S3Client {
  const client = new S3Client({
    endpoint: ep.endpoint,
    region: ep.region,
    credentials: { accessKeyId: ep.accessKeyId, secretAccessKey: ep.secretAccessKey },
    forcePathStyle: true,
    // Flexible checksums make streamed bodies aws-chunked, which radosgw (411) and Swift (501) reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // Swift's s3api insists on Content-MD5 for DeleteObjects, which current SDKs no longer send.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { headers?: Record<string, string>; body?: unknown };
      if (context.commandName === 'DeleteObjectsCommand' && req.headers && typeof req.body === 'string') {
        req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'snapstreamTestContentMd5' },
  );
  return client;
}

export async function createBucket(ep: S3Endpoint, name: string): Promise<void> {
  const c = makeS3Client(ep);
  try {
    await c.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    c.destroy();
  }
}

/** Aborts open multipart uploads, deletes every object (and version), then the bucket. Missing bucket: no-op. */
export async function emptyAndDeleteBucket(ep: S3Endpoint, name: string): Promise<void> {
  const c = makeS3Client(ep);
  try {
    try {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const r = await c.send(
          new ListMultipartUploadsCommand({ Bucket: name, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const u of r.Uploads ?? []) {
          await c.send(new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key!, UploadId: u.UploadId! }));
        }
        if (!r.IsTruncated) break;
        keyMarker = r.NextKeyMarker;
        uploadIdMarker = r.NextUploadIdMarker;
      }
      let token: string | undefined;
      do {
        const r = await c.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
        // One DeleteObject per key: works on every server (no Content-MD5 dance for DeleteObjects).
        for (const o of r.Contents ?? []) await c.send(new DeleteObjectCommand({ Bucket: name, Key: o.Key! }));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      await deleteVersions(c, name);
      await c.send(new DeleteBucketCommand({ Bucket: name }));
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchBucket') return;
      throw e;
    }
  } finally {
    c.destroy();
  }
}

async function deleteVersions(c: S3Client, bucket: string): Promise<void> {
  // Versioning is off in our servers, but a test may turn it on; listing versions is cheap either way.
  try {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const r = await c.send(
        new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
      );
      for (const v of [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])]) {
        await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key!, VersionId: v.VersionId }));
      }
      if (!r.IsTruncated) return;
      keyMarker = r.NextKeyMarker;
      versionMarker = r.NextVersionIdMarker;
    }
  } catch (e) {
    const n = (e as { name?: string }).name;
    if (n === 'NotImplemented' || n === 'MethodNotAllowed') return;
    throw e;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command (argument array, never a shell); throws with stderr when it exits non-zero. */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          p.kill('SIGKILL');
          stderr += `\n(killed after ${opts.timeoutMs} ms)`;
        }, opts.timeoutMs)
      : undefined;
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ code, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/** `zfs create [-o k=v]... <pool>/<name>`; returns the full dataset name. */
export async function createDataset(pool: string, name: string, props: Record<string, string> = {}): Promise<string> {
  const full = `${pool}/${name}`;
  const args = ['create'];
  for (const [k, v] of Object.entries(props)) args.push('-o', `${k}=${v}`);
  args.push(full);
  await run('zfs', args, { timeoutMs: 60_000 });
  return full;
}

/** `zfs destroy -r` (snapshots and children too); a dataset that does not exist is fine. */
export async function destroyDataset(dataset: string, attempts = 20): Promise<void> {
  // zfs-fuse reports "dataset is busy" for a while after a filesystem was mounted or read: retried.
  for (let i = 1; ; i++) {
    try {
      await run('zfs', ['destroy', '-r', '-f', dataset], { timeoutMs: 60_000 });
      return;
    } catch (e) {
      // run() says "<command> exited N: <stderr>"; the classifiers read zfs's own lines.
      const msg = String((e as Error).message);
      const stderr = msg.slice(msg.indexOf(': ') + 2);
      if (datasetNotFound(stderr)) return;
      if (i >= attempts || !datasetBusy(stderr)) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Where a mounted dataset's files are. */
export async function datasetMountpoint(dataset: string): Promise<string> {
  const r = await run('zfs', ['get', '-H', '-o', 'value', 'mountpoint', dataset], { timeoutMs: 30_000 });
  return r.stdout.trim();
}

/** Writes `bytes` of random data (in 1 MiB chunks, so memory stays flat for large files). */
export async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const fh = await open(file, 'w');
  try {
    const chunk = 1024 * 1024;
    for (let done = 0; done < bytes; ) {
      const n = Math.min(chunk, bytes - done);
      await fh.write(randomBytes(n));
      done += n;
    }
  } finally {
    await fh.close();
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * One digest over every entry below `dir`: relative path, type, and contents (files) or target
 * (symlinks), in sorted order. Equal digests mean the trees are equal byte for byte. ZFS's `.zfs`
 * control directory is skipped.
 */
export async function treeDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const name of names) {
      if (rel === '' && name === '.zfs') continue;
      const r = rel === '' ? name : `${rel}/${name}`;
      const full = path.join(dir, r);
      const st = await lstat(full);
      if (st.isDirectory()) {
        h.update(`d\0${r}\0`);
        await walk(r);
      } else if (st.isSymbolicLink()) {
        h.update(`l\0${r}\0${await readlink(full)}\0`);
      } else if (st.isFile()) {
        h.update(`f\0${r}\0${st.size}\0${await sha256File(full)}\0`);
      } else {
        h.update(`o\0${r}\0`);
      }
    }
  }
  await walk('');
  return h.digest('hex');
}
