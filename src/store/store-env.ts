import { writebackBytes } from './local/writeback-bytes.js';
import { directIoFrom } from './local/direct-io.js';

/**
 * The environment variables the stores honour, read once at the edge (openStore's caller, or the
 * first openStore) instead of inside the backends, so a store's behaviour follows from its inputs.
 */
export interface StoreEnv {
  /** AWS_REGION, else AWS_DEFAULT_REGION: an S3 location without a region uses it (else us-east-1). */
  awsRegion?: string;
  /** STORAGE_EMULATOR_HOST: the GCS library sends everything there; named in the store's label. */
  gcsEmulatorHost?: string;
  /** SNAPSTREAM_S3_* knobs (fast paths, payload signing), as a snapshot for S3Store. */
  s3Knobs: Readonly<Record<string, string | undefined>>;
  /** SNAPSTREAM_LOCAL_WRITEBACK_BYTES: the local store's early-writeback threshold (local-store.ts). */
  localWritebackBytes: number;
  /** SNAPSTREAM_LOCAL_DIRECT_IO: false keeps the local store's part data on the page cache (direct-io.ts). */
  localDirectIo: boolean;
}

export function readStoreEnv(env: NodeJS.ProcessEnv = process.env): StoreEnv {
  const awsRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const gcsEmulatorHost = env.STORAGE_EMULATOR_HOST || undefined;
  const s3Knobs = Object.freeze(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SNAPSTREAM_S3_'))));
  return { ...(awsRegion ? { awsRegion } : {}), ...(gcsEmulatorHost ? { gcsEmulatorHost } : {}), s3Knobs, localWritebackBytes: writebackBytes(env), localDirectIo: directIoFrom(env) };
}
