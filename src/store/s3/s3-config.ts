/** An S3 (or S3-compatible) location, validated; no secrets (credentials come from the SDK's chain). */
export interface S3StoreConfig {
  provider: 'aws';
  bucket: string;
  /**
   * The bucket's region; undefined = the process's default (AWS_REGION / AWS_DEFAULT_REGION, else
   * us-east-1), resolved when the store is opened. Left undefined rather than filled in from the
   * environment, so a location's identity (idempotency keys) does not depend on an agent's env.
   */
  region?: string;
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

/** The config S3Store runs with: the region resolved. */
export type ResolvedS3Config = S3StoreConfig & { region: string };
