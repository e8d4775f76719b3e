import type { FileMetadata } from '@google-cloud/storage';
import type { ObjectInfo } from '../object-store.js';

/** ObjectInfo from GCS object metadata; custom metadata values are coerced to strings. */
export function objectInfoOf(key: string, m: FileMetadata): ObjectInfo {
  const custom: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    if (v !== null && v !== undefined) custom[k] = String(v);
  }
  const updated = m.updated ?? m.timeCreated;
  return {
    key,
    size: Number(m.size ?? 0),
    lastModified: updated ? new Date(updated) : undefined,
    etag: m.etag,
    metadata: custom,
  };
}
