/** A Google Cloud Storage location, validated; no secrets (a key file is named by its path only). */
export interface GcsStoreConfig {
  provider: 'gcp';
  bucket: string;
  projectId?: string;
  /** Path to a service-account key file; undefined = Application Default Credentials. */
  keyFile?: string;
  /** Use parallel composite/XML multipart uploads where available (real GCS only). */
  parallelUpload: boolean;
}
