import type { Layout } from '../model/layout.js';

/**
 * Where backups live, as validated data. Produced from a location URL (parse-location-url.ts) or from a
 * Velero VolumeSnapshotLocation config (src/config/), consumed by openStore(). Secrets are never part of
 * this type: credentials come from the SDKs' default chains (env, profile, workload identity, key file
 * path), so a LocationConfig can be logged as is.
 */
export type StoreConfig = LocalStoreConfig | S3StoreConfig | GcsStoreConfig;

export interface LocalStoreConfig {
  provider: 'local';
  /** Absolute directory that acts as the bucket. */
  path: string;
}

export interface S3StoreConfig {
  provider: 'aws';
  bucket: string;
  region: string;
  /** Custom endpoint (MinIO, Ceph, Swift); undefined = AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Shared-config profile name for credentials. */
  profile?: string;
  /** Skip TLS verification (self-signed test endpoints only). */
  insecureSkipTLSVerify: boolean;
  /** PEM CA bundle to trust for the endpoint. */
  caCertPem?: string;
  /**
   * Flexible checksums: 'WHEN_REQUIRED' (default) works with every S3 server; 'WHEN_SUPPORTED' makes the
   * SDK add CRC checksums, which radosgw and Swift reject for streamed bodies.
   */
  checksums: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
}

export interface GcsStoreConfig {
  provider: 'gcp';
  bucket: string;
  projectId?: string;
  /** Path to a service-account key file; undefined = Application Default Credentials. */
  keyFile?: string;
  /** Use parallel composite/XML multipart uploads where available (real GCS only). */
  parallelUpload: boolean;
}

export interface LocationConfig {
  store: StoreConfig;
  layout: Layout;
  /** Override for the initial multipart part size, bytes (VSL `multiPartChunkSize`). */
  partSize?: number;
  /** h15-dedup: new backups use the dedup layout (URL `dedup=true`, VSL key `dedup`). Default: plain. */
  dedup?: boolean;
}
