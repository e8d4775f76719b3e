import type { Layout } from '../model/layout.js';
import type { StoreConfig } from '../store/store-registry.js';

/**
 * Where backups live, as validated data. Produced from a location URL (parse-location-url.ts) or from a
 * Velero VolumeSnapshotLocation config (src/config/), consumed by openStore(). Secrets are never part of
 * this type: credentials come from the SDKs' default chains (env, profile, workload identity, key file
 * path), so a LocationConfig can be logged as is.
 *
 * Each backend owns its config type (src/store/<backend>/<backend>-config.ts); StoreConfig is their
 * union, derived from the registry.
 */
export type { StoreConfig } from '../store/store-registry.js';
export type { S3StoreConfig } from '../store/s3/s3-config.js';
export type { GcsStoreConfig } from '../store/gcs/gcs-config.js';
export type { LocalStoreConfig } from '../store/local/local-config.js';

export interface LocationConfig {
  store: StoreConfig;
  layout: Layout;
  /** Override for the initial multipart part size, bytes (VSL `multiPartChunkSize`). */
  partSize?: number;
  /** h15-dedup: new backups use the dedup layout (URL `dedup=true`, VSL key `dedup`). Default: plain. */
  dedup?: boolean;
}
