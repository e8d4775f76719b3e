import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Layout } from '../model/layout.js';
import type { ObjectInfo, ObjectStore } from '../store/object-store.js';
import { joinKey } from '../store/object-key.js';
import { readRangeInto } from '../store/decorators/read-range-into.js';

/**
 * Where a location keeps deduplicated data: `[<backupPathPrefix>/]dedup/seg/<2 hex>/<id>` for segments
 * and recipe chunks alike (both content-addressed), beside `backups/` so the stock plugin and the
 * catalog never see them. Only GC deletes here; never a lifecycle rule.
 */
export function dedupPrefix(layout: Layout): string {
  return joinKey(layout.backupPathPrefix, 'dedup') + '/';
}

export function segmentsPrefix(layout: Layout): string {
  return dedupPrefix(layout) + 'seg/';
}

export function segmentKey(layout: Layout, id: string): string {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new SnapstreamError(ErrorCode.INTERNAL, `segment id ${JSON.stringify(id)} is not 64 hex digits`);
  return `${segmentsPrefix(layout)}${id.slice(0, 2)}/${id}`;
}

/** The id of a key under segmentsPrefix, or undefined for anything else there. */
export function idOfSegmentKey(layout: Layout, key: string): string | undefined {
  const rest = key.startsWith(segmentsPrefix(layout)) ? key.slice(segmentsPrefix(layout).length) : '';
  const m = /^([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(rest);
  return m && m[2]!.startsWith(m[1]!) ? m[2] : undefined;
}

export class SegmentStore {
  constructor(
    readonly store: ObjectStore,
    readonly layout: Layout,
  ) {}

  async head(id: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    // The store is decorated (openStore): its retry decorator retries, not this class.
    return this.store.head(segmentKey(this.layout, id), { signal });
  }

  /** `sha256`: the stored bytes' SHA-256 when the caller knows it (the id of an unkeyed segment). */
  async put(id: string, stored: Buffer, signal?: AbortSignal, sha256?: string): Promise<void> {
    await this.store.put(segmentKey(this.layout, id), stored, { signal, contentType: 'application/octet-stream', sha256 });
  }

  /** Reads a stored segment of exactly `size` bytes into `buf` (or a new buffer). */
  async get(id: string, size: number, signal?: AbortSignal, buf?: Buffer): Promise<Buffer> {
    const key = segmentKey(this.layout, id);
    const into = buf && buf.length >= size ? buf.subarray(0, size) : Buffer.allocUnsafe(size);
    const range = { offset: 0, length: size };
    let got: number;
    try {
      got = this.store.getInto ? await this.store.getInto(key, range, into, { signal }) : await readRangeInto(this.store, key, range, into, { signal });
    } catch (e) {
      if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) {
        throw new SnapstreamError(ErrorCode.NOT_FOUND, `segment ${id} is missing in ${this.store.describe()} (${key}); the backup cannot be rebuilt`, { details: { segment: id } });
      }
      throw e;
    }
    if (got !== size) {
      throw new SnapstreamError(ErrorCode.TRUNCATED, `segment ${id} returned ${got} of ${size} bytes`, { retryable: true, details: { segment: id, expected: size, actual: got } });
    }
    return into;
  }
}
