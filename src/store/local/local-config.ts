/** A local directory (also NFS) that acts as the bucket. */
export interface LocalStoreConfig {
  provider: 'local';
  /** Absolute directory. */
  path: string;
}
