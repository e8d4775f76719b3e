import type { UrlInput, VslInput } from './store-backend.js';

/** S3 and GCS bucket names: 3-63 (GCS: up to 222 with dots) lowercase letters, digits, ".", "-", "_". */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/;

/** The bucket of a location URL (its host), refused when it is not a bucket name. */
export function urlBucket(u: UrlInput): string {
  const bucket = u.url.hostname;
  if (!BUCKET_NAME.test(bucket)) u.bad(`has an invalid bucket name ${JSON.stringify(bucket)}`, 'bucket names are 3-63 lowercase letters, digits, "-" and "."');
  return bucket;
}

/** The `bucket` key of a VolumeSnapshotLocation: required, and a bucket name. */
export function vslBucket(v: VslInput): string | undefined {
  const bucket = v.required('bucket', 'my-backups');
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) {
    v.report('bucket', `${v.what}.bucket "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, ".", "-")`);
  }
  return bucket;
}
