import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { LocationConfig } from '../../src/location/location-config.js';
import { openStore } from '../../src/location/open-store.js';
import { parseLocationUrl } from '../../src/location/parse-location-url.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { type DatasetName, parseDatasetName, parseSnapshotShortName } from '../../src/zfs/names.js';
import { Zfs } from '../../src/zfs/zfs.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, uniqueName, writeRandomFile } from './test-env.js';

export const silentLog = pino({ level: process.env.SNAPSTREAM_TEST_LOG ?? 'silent' });

/** A location to back up to, with a way to remove everything it holds afterwards. */
export interface TestLocation {
  name: string;
  url: string;
  loc: LocationConfig;
  store: ObjectStore;
  cleanup(): Promise<void>;
}

export type LocationKind = 'local' | 'radosgw' | 'swift' | 'gcs';

export async function makeLocation(kind: LocationKind): Promise<TestLocation> {
  const env = getTestEnv();
  let url: string;
  let cleanup: () => Promise<void>;
  if (kind === 'local') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-loc-'));
    url = `file://${dir}`;
    cleanup = () => fs.rm(dir, { recursive: true, force: true });
  } else if (kind === 'gcs') {
    const gcs = env.gcs!;
    process.env.STORAGE_EMULATOR_HOST = gcs.emulatorHost;
    const bucket = uniqueName('ssgcs');
    const { Storage } = await import('@google-cloud/storage');
    const storage = new Storage({ projectId: gcs.projectId });
    // The emulator creates buckets on first upload and may refuse createBucket; real GCS needs it.
    await storage.createBucket(bucket).catch(() => {});
    url = `gs://${bucket}/pfx?project=${gcs.projectId}`;
    cleanup = async () => {
      await storage.bucket(bucket).deleteFiles({ force: true }).catch(() => {});
      await storage.bucket(bucket).delete().catch(() => {});
    };
  } else {
    const ep = kind === 'radosgw' ? env.s3! : env.swift!;
    process.env.AWS_ACCESS_KEY_ID = ep.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
    const bucket = uniqueName('ssbk');
    await createBucket(ep, bucket);
    url = `s3://${bucket}/pfx?endpoint=${encodeURIComponent(ep.endpoint)}&region=${ep.region}`;
    cleanup = () => emptyAndDeleteBucket(ep, bucket);
  }
  const loc = parseLocationUrl(url);
  const store = await openStore(loc, { log: silentLog });
  return {
    name: kind,
    url,
    loc,
    store,
    cleanup: async () => {
      await store.close();
      await cleanup();
    },
  };
}

export function makeZfs(binary?: string): Zfs {
  return new Zfs({ log: silentLog, binary, env: process.env });
}

export function testDataset(name: string): DatasetName {
  return parseDatasetName(`${getTestEnv().zfsPool!}/${name}`);
}

export async function mountpointOf(zfs: Zfs, ds: DatasetName): Promise<string> {
  return zfs.getProperty(ds, 'mountpoint');
}

/** Creates `ds` holding one file of `bytes` random bytes (`f.bin`) and snapshots it as `snap`: the CLI tests' source. */
export async function createSourceSnapshot(zfs: Zfs, ds: DatasetName, bytes: number, snap = 's1'): Promise<void> {
  await zfs.run(['create', ds]);
  await writeRandomFile(path.join(await mountpointOf(zfs, ds), 'f.bin'), bytes);
  await zfs.snapshot(ds, parseSnapshotShortName(snap));
}
