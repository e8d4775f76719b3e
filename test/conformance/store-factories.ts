import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { pino } from 'pino';
import type { GcsStoreConfig } from '../../src/store/gcs/gcs-config.js';
import type { ResolvedS3Config as S3StoreConfig } from '../../src/store/s3/s3-config.js';
import { GcsStore } from '../../src/store/gcs/gcs-store.js';
import { LocalStore } from '../../src/store/local/local-store.js';
import { S3Store } from '../../src/store/s3/s3-store.js';
import { decorateStore } from '../../src/store/decorators/decorate-store.js';
import { NO_RETRY } from '../../src/store/decorators/retry-policy.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { type S3Endpoint, createBucket, emptyAndDeleteBucket, uniqueName } from '../helpers/test-env.js';
import type { ContractTarget } from './object-store-contract.js';

/** Small pages, so the paging test needs only a few dozen objects yet crosses several pages. */
export const LIST_PAGE_SIZE = 10;
const log = pino({ level: process.env.SNAPSTREAM_TEST_LOG ?? 'warn' });
/**
 * Every store is tested as callers get it: the backend under the decorator stack of
 * decorateStore() (retries included), so the suite checks what openStore() hands out.
 */
const decorated = (backend: ObjectStore) => decorateStore(backend, { log });
/** For the dead endpoint and wrong credentials: the backend's first answer, no retries. */
const once = (backend: ObjectStore) => decorateStore(backend, { log, retry: NO_RETRY });
/** A port nothing listens on (TCP port 1 is reserved, and connecting to it is refused at once). */
const DEAD = 'http://127.0.0.1:1';

export async function localTarget(): Promise<ContractTarget> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sstest-conformance-local-'));
  return {
    store: decorated(new LocalStore(dir)),
    listPageSize: LIST_PAGE_SIZE,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

function s3Config(ep: S3Endpoint, bucket: string, endpoint = ep.endpoint): S3StoreConfig {
  return { provider: 'aws', bucket, region: ep.region, endpoint, forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' };
}

/**
 * An S3 server: a fresh bucket per run, the store rooted at a sub-prefix (so root prefixing is
 * exercised too). Credentials reach the SDK through its default chain (env), as in production.
 */
export async function s3Target(ep: S3Endpoint, label: string = ep.name): Promise<ContractTarget> {
  process.env.AWS_ACCESS_KEY_ID = ep.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
  const bucket = uniqueName(`conf-${label}`);
  await createBucket(ep, bucket);
  const root = 'conformance/root';
  return {
    store: decorated(new S3Store(s3Config(ep, bucket), { root, log, listPageSize: LIST_PAGE_SIZE })),
    listPageSize: LIST_PAGE_SIZE,
    unreachable: () => once(new S3Store(s3Config(ep, bucket, DEAD), { root, log })),
    throughProxy: (url) => decorated(new S3Store(s3Config(ep, bucket, url), { root, log })),
    server: hostPort(ep.endpoint),
    denied: () => {
      // Credentials from a shared-config profile (a production path) whose secret is wrong.
      process.env.AWS_SHARED_CREDENTIALS_FILE = deniedProfileFile(ep.accessKeyId);
      return once(new S3Store({ ...s3Config(ep, bucket), profile: 'snapstream-denied' }, { root, log }));
    },
    dispose: () => emptyAndDeleteBucket(ep, bucket),
  };
}

export interface GcsTargetOptions {
  parallelUpload: boolean;
  projectId?: string;
  /** Create the bucket first (fake-gcs-server needs it; the firebase emulator makes buckets on first upload). */
  createBucket?: boolean;
}

/** A GCS server reached through STORAGE_EMULATOR_HOST (set by the caller). */
export async function gcsTarget(opts: GcsTargetOptions): Promise<ContractTarget> {
  const bucket = uniqueName('conf-gcs');
  const cfg: GcsStoreConfig = { provider: 'gcp', bucket, parallelUpload: opts.parallelUpload, ...(opts.projectId ? { projectId: opts.projectId } : {}) };
  if (opts.createBucket) await new Storage({ projectId: opts.projectId }).createBucket(bucket);
  const root = 'conformance/root';
  return {
    store: decorated(new GcsStore(cfg, { root, log, listPageSize: LIST_PAGE_SIZE, emulatorHost: process.env.STORAGE_EMULATOR_HOST! })),
    listPageSize: LIST_PAGE_SIZE,
    unreachable: () => once(new GcsStore(cfg, { root, log, storage: deadStorage(opts.projectId) })),
    throughProxy: (url) => decorated(withEmulatorHost(url, () => new GcsStore(cfg, { root, log }))),
    server: hostPort(process.env.STORAGE_EMULATOR_HOST!),
    // Every object is gone by now (the suite deletes them); the bucket itself is best effort, as the
    // firebase emulator creates buckets implicitly and may refuse to delete them.
    dispose: async () => {
      await new Storage({ projectId: opts.projectId }).bucket(bucket).delete().catch(() => undefined);
    },
  };
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url.includes('://') ? url : `http://${url}`);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

/** The library reads STORAGE_EMULATOR_HOST when a client is built (synchronously), and only then. */
function withEmulatorHost<T>(url: string, build: () => T): T {
  const saved = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = url;
  try {
    return build();
  } finally {
    if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = saved;
  }
}

function deniedProfileFile(accessKeyId: string): string {
  const file = path.join(tmpdir(), `sstest-conformance-denied-${process.pid}.ini`);
  writeFileSync(file, `[snapstream-denied]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = wrong-secret-for-the-test\n`);
  return file;
}

/**
 * A client for a dead endpoint. The library prefers STORAGE_EMULATOR_HOST over apiEndpoint when it
 * builds its base URL, so the variable is hidden while the client is constructed (synchronously).
 */
function deadStorage(projectId = 'demo-test'): Storage {
  const saved = process.env.STORAGE_EMULATOR_HOST;
  delete process.env.STORAGE_EMULATOR_HOST;
  try {
    // No library retries: they would back off for many seconds before giving up.
    return new Storage({ apiEndpoint: DEAD, projectId, retryOptions: { autoRetry: false } });
  } finally {
    if (saved !== undefined) process.env.STORAGE_EMULATOR_HOST = saved;
  }
}
