import { Readable } from 'node:stream';
import { ErrorCode, SnapstreamError } from '../../src/errors.js';
import type { MultipartUpload, ObjectInfo, ObjectStore, StoreLimits, UploadPart } from '../../src/store/object-store.js';

/**
 * In-memory ObjectStore for unit tests of the pipelines (restic keeps one for the same reason).
 * Hooks let a test slow parts down, fail them, or watch concurrency.
 */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly pending = new Set<string>();
  limits: StoreLimits = { minPartSize: 1, maxPartSize: 1 << 30, maxParts: 10_000, parallelParts: true };
  inFlight = 0;
  maxInFlight = 0;
  partCalls = 0;
  onPart?: (part: UploadPart, call: number) => Promise<void> | void;

  describe(): string {
    return 'memory://';
  }
  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async createUpload(key: string): Promise<MultipartUpload> {
    const parts = new Map<number, Buffer>();
    this.pending.add(key);
    const store = this;
    return {
      key,
      async uploadPart(part) {
        store.inFlight++;
        store.maxInFlight = Math.max(store.maxInFlight, store.inFlight);
        try {
          await store.onPart?.(part, ++store.partCalls);
          parts.set(part.number, Buffer.from(part.data));
        } finally {
          store.inFlight--;
        }
      },
      async complete() {
        const sorted = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
        const all = Buffer.concat(sorted);
        store.objects.set(key, all);
        store.pending.delete(key);
        return { key, size: all.length };
      },
      async abort() {
        store.pending.delete(key);
      },
    };
  }
  async get(key: string, opts: { range?: { offset: number; length: number } } = {}): Promise<Readable> {
    const b = this.objects.get(key);
    if (!b) throw new SnapstreamError(ErrorCode.NOT_FOUND, `${key} not found`);
    const r = opts.range;
    const slice = r ? b.subarray(r.offset, r.offset + r.length) : b;
    // Hand out 64 KiB chunks like a socket would.
    const chunks: Buffer[] = [];
    for (let i = 0; i < slice.length; i += 65536) chunks.push(slice.subarray(i, i + 65536));
    return Readable.from(chunks);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    const b = this.objects.get(key);
    return b ? { key, size: b.length } : undefined;
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const [key, b] of this.objects) if (key.startsWith(prefix)) yield { key, size: b.length };
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async cleanupUploads(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}
}
