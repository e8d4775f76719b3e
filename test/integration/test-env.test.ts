// The integration environment itself: each server globalSetup brings up really works, and the
// shared helpers (treeDigest, bucket cleanup) detect what they claim to.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type S3Endpoint,
  createBucket,
  createDataset,
  datasetMountpoint,
  destroyDataset,
  emptyAndDeleteBucket,
  getTestEnv,
  makeS3Client,
  needs,
  run,
  treeDigest,
  uniqueName,
  writeRandomFile,
} from '../helpers/test-env.js';

const env = getTestEnv();

describe('test environment', () => {
  it('accounts for every part: up, or missing with a reason naming it', () => {
    for (const part of ['zfs', 's3', 'swift', 'gcs'] as const) {
      const reasons = env.missing.filter((m) => m.startsWith(`${part}`));
      expect(needs(part) ? reasons : reasons.length).toEqual(needs(part) ? [] : 1);
    }
    if (process.env.SNAPSTREAM_REQUIRE_INTEGRATION === '1') expect(env.missing).toEqual([]);
  });
});

/** Bytes of `zfs send` output; the stream is consumed and dropped. */
function sendBytes(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('zfs', ['send', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    let err = '';
    p.stdout.on('data', (c: Buffer) => (n += c.length));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`zfs send exited ${code}: ${err}`))));
  });
}

/** zfs send SNAP | zfs recv TARGET, both spawned with argument arrays. */
function sendRecv(snap: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = spawn('zfs', ['send', snap], { stdio: ['ignore', 'pipe', 'pipe'] });
    const recv = spawn('zfs', ['recv', target], { stdio: ['pipe', 'ignore', 'pipe'] });
    send.stdout.pipe(recv.stdin);
    let err = '';
    send.stderr.on('data', (c: Buffer) => (err += c.toString()));
    recv.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const codes: (number | null)[] = [];
    const done = (code: number | null) => {
      codes.push(code);
      if (codes.length < 2) return;
      if (codes.every((c) => c === 0)) resolve();
      else reject(new Error(`send/recv exited ${codes.join('/')}: ${err}`));
    };
    send.on('close', done);
    recv.on('close', done);
  });
}

describe.skipIf(!needs('zfs'))('zfs-fuse pool', () => {
  const pool = env.zfsPool!;
  const name = uniqueName('envtest');
  let src = '';

  beforeAll(async () => {
    src = await createDataset(pool, name);
  });
  afterAll(async () => {
    await destroyDataset(src);
    await destroyDataset(`${pool}/${name}-copy`);
  });

  it('creates, snapshots, sends and receives a dataset byte for byte', async () => {
    const mnt = await datasetMountpoint(src);
    expect(mnt.startsWith(env.zfsMount!)).toBe(true);
    await writeRandomFile(path.join(mnt, 'a.bin'), 3 * 1024 * 1024 + 17);
    await writeFile(path.join(mnt, 'b.txt'), 'hello\n');
    await run('zfs', ['snapshot', `${src}@s1`]);

    const bytes = await sendBytes([`${src}@s1`]);
    expect(bytes).toBeGreaterThan(3 * 1024 * 1024);

    const copy = `${pool}/${name}-copy`;
    await sendRecv(`${src}@s1`, copy);
    const copyMnt = await datasetMountpoint(copy);
    const before = await treeDigest(mnt);
    expect(await treeDigest(copyMnt)).toBe(before);

    // treeDigest must notice a one-byte change (else it proves nothing in the restore tests).
    await appendFile(path.join(copyMnt, 'b.txt'), 'x');
    expect(await treeDigest(copyMnt)).not.toBe(before);
  });

  it('sends an incremental stream', async () => {
    const mnt = await datasetMountpoint(src);
    await writeFile(path.join(mnt, 'c.txt'), 'incremental\n');
    await run('zfs', ['snapshot', `${src}@s2`]);
    const inc = await sendBytes(['-i', `${src}@s1`, `${src}@s2`]);
    const full = await sendBytes([`${src}@s2`]);
    expect(inc).toBeGreaterThan(0);
    expect(inc).toBeLessThan(full);
  });
});

function s3RoundTrip(part: 's3' | 'swift') {
  const ep = env[part] as S3Endpoint;
  const bucket = uniqueName(`envtest-${part}`);
  const client = ep ? makeS3Client(ep) : undefined;

  beforeAll(async () => {
    await createBucket(ep, bucket);
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(ep, bucket);
    client?.destroy();
  });

  it('PUTs and GETs an object (whole and ranged)', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 3);
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/obj.bin', Body: body }));
    const got = await client!.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/obj.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    const ranged = await client!.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/obj.bin', Range: 'bytes=100-199' }));
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(100, 200))).toBe(true);
  });

  it('deletes with DeleteObjects (Content-MD5 added by makeS3Client)', async () => {
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: 'x1', Body: 'a' }));
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: 'x2', Body: 'b' }));
    const r = await client!.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'x1' }, { Key: 'x2' }] } }),
    );
    expect(r.Errors ?? []).toEqual([]);
    const left = await client!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'x' }));
    expect(left.KeyCount ?? 0).toBe(0);
  });

  it('emptyAndDeleteBucket removes a bucket with objects and an open multipart upload', async () => {
    const b2 = uniqueName(`envtest-${part}-del`);
    await createBucket(ep, b2);
    await client!.send(new PutObjectCommand({ Bucket: b2, Key: 'k', Body: 'v' }));
    const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await client!.send(new CreateMultipartUploadCommand({ Bucket: b2, Key: 'mpu' }));
    await emptyAndDeleteBucket(ep, b2);
    await expect(client!.send(new HeadBucketCommand({ Bucket: b2 }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });
}

describe.skipIf(!needs('s3'))('radosgw (S3)', () => s3RoundTrip('s3'));
describe.skipIf(!needs('swift'))('swift + s3api', () => s3RoundTrip('swift'));

describe.skipIf(!needs('gcs'))('gcs emulator', () => {
  const bucketName = uniqueName('envtest-gcs');
  let storage: Storage;

  beforeAll(() => {
    // STORAGE_EMULATOR_HOST, not apiEndpoint: with apiEndpoint setMetadata/copy get 501 from the emulator.
    process.env.STORAGE_EMULATOR_HOST = env.gcs!.emulatorHost;
    storage = new Storage({ projectId: env.gcs!.projectId });
  });
  afterAll(async () => {
    await storage.bucket(bucketName).deleteFiles({ force: true }).catch(() => {});
  });

  it('uploads (simple and resumable stream) and downloads, whole and ranged', async () => {
    const bucket = storage.bucket(bucketName);
    const small = randomBytes(1024 * 1024 + 5);
    await bucket.file('a/small.bin').save(small, { resumable: false, metadata: { metadata: { k: 'v' } } });
    const [got] = await bucket.file('a/small.bin').download();
    expect(got.equals(small)).toBe(true);
    const [meta] = await bucket.file('a/small.bin').getMetadata();
    expect(meta.metadata?.k).toBe('v');

    const big = randomBytes(3 * 1024 * 1024 + 1);
    await new Promise<void>((resolve, reject) => {
      const ws = bucket.file('a/stream.bin').createWriteStream({ resumable: true });
      ws.on('error', reject).on('finish', resolve);
      ws.end(big);
    });
    const [got2] = await bucket.file('a/stream.bin').download({ start: 10, end: 1009 });
    expect(got2.equals(big.subarray(10, 1010))).toBe(true);

    const [files] = await bucket.getFiles({ prefix: 'a/' });
    expect(files.map((f) => f.name).sort()).toEqual(['a/small.bin', 'a/stream.bin']);
    await bucket.file('a/small.bin').delete();
    const [exists] = await bucket.file('a/small.bin').exists();
    expect(exists).toBe(false);
  });
});
