import { Readable } from 'node:stream';
import { ErrorCode, SnapstreamError, abortedError, throwIfAborted } from '../../src/errors.js';
import { validateObjectKey } from '../../src/store/object-key.js';
import type {
  CleanupUploadsOptions,
  CompleteOptions,
  GetOptions,
  MultipartUpload,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  SignalOptions,
  StoreLimits,
  UploadPart,
} from '../../src/store/object-store.js';

interface Pending {
  key: string;
  started: Date;
  parts: Map<number, Buffer>;
  done: boolean;
}

/**
 * In-memory ObjectStore for unit tests of the pipelines (restic keeps one for the same reason). It
 * meets the ObjectStore contract (test/conformance/memory.test.ts runs the suite on it), so what a
 * unit test learns from it holds for the real stores. Hooks let a test slow parts down, fail them,
 * or watch concurrency; `objects` holds the committed bytes, for tests to inspect or damage.
 */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  /** lastModified and metadata of committed objects (by key). */
  readonly meta = new Map<string, { lastModified: Date; metadata?: Record<string, string> }>();
  readonly uploads = new Set<Pending>();
  limits: StoreLimits = { minPartSize: 1, maxPartSize: 1 << 30, maxParts: 10_000, parallelParts: true };
  inFlight = 0;
  maxInFlight = 0;
  partCalls = 0;
  onPart?: (part: UploadPart, call: number) => Promise<void> | void;

  /** Keys of unfinished uploads. */
  get pending(): Set<string> {
    return new Set([...this.uploads].map((u) => u.key));
  }

  describe(): string {
    return 'memory://';
  }

  private commit(key: string, body: Buffer, metadata?: Record<string, string>): void {
    this.objects.set(key, body);
    this.meta.set(key, { lastModified: new Date(), ...(metadata ? { metadata: { ...metadata } } : {}) });
  }

  async put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    validateObjectKey(key);
    throwIfAborted(opts.signal);
    this.commit(key, Buffer.from(body), opts.metadata);
  }

  async createUpload(key: string, opts: PutOptions = {}): Promise<MultipartUpload> {
    validateObjectKey(key);
    throwIfAborted(opts.signal);
    const u: Pending = { key, started: new Date(), parts: new Map(), done: false };
    this.uploads.add(u);
    const store = this;
    const gone = () => new SnapstreamError(ErrorCode.STORE_FAILED, `memory://: upload of ${key} was completed or aborted`);
    return {
      key,
      async uploadPart(part: UploadPart, o: SignalOptions = {}) {
        throwIfAborted(o.signal);
        if (u.done) throw gone();
        store.inFlight++;
        store.maxInFlight = Math.max(store.maxInFlight, store.inFlight);
        try {
          await store.onPart?.(part, ++store.partCalls);
          u.parts.set(part.number, Buffer.from(part.data));
        } finally {
          store.inFlight--;
        }
      },
      async complete(o: CompleteOptions = {}) {
        throwIfAborted(o.signal);
        if (u.done) throw gone();
        const count = o.partCount ?? u.parts.size;
        const parts: Buffer[] = [];
        for (let n = 1; n <= count; n++) {
          const p = u.parts.get(n);
          if (!p) throw new SnapstreamError(ErrorCode.INTERNAL, `part ${n} of ${key} was never uploaded`);
          parts.push(p);
        }
        const all = Buffer.concat(parts);
        store.commit(key, all, opts.metadata);
        u.done = true;
        store.uploads.delete(u);
        return { key, size: all.length };
      },
      async abort() {
        u.done = true;
        store.uploads.delete(u);
      },
    };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    validateObjectKey(key);
    throwIfAborted(opts.signal);
    const b = this.objects.get(key);
    if (!b) throw new SnapstreamError(ErrorCode.NOT_FOUND, `memory://: object ${key} not found`);
    const r = opts.range;
    // Like S3's 416: a range that starts past the end is a permanent failure, not an empty read.
    if (r && r.length > 0 && r.offset >= b.length) throw new SnapstreamError(ErrorCode.STORE_FAILED, `memory://: ${key}: range starts at ${r.offset}, past the end (${b.length})`);
    const slice = r ? b.subarray(r.offset, r.offset + r.length) : b;
    // Hand out 64 KiB chunks like a socket would.
    const chunks: Buffer[] = [];
    for (let i = 0; i < slice.length; i += 65536) chunks.push(slice.subarray(i, i + 65536));
    const body = Readable.from(chunks);
    const signal = opts.signal;
    if (signal) {
      const onAbort = () => body.destroy(abortedError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return body;
  }

  async head(key: string, opts: SignalOptions = {}): Promise<ObjectInfo | undefined> {
    validateObjectKey(key);
    throwIfAborted(opts.signal);
    const b = this.objects.get(key);
    if (!b) return undefined;
    const m = this.meta.get(key);
    return { key, size: b.length, lastModified: m?.lastModified ?? new Date(0), ...(m?.metadata ? { metadata: m.metadata } : {}) };
  }

  async *list(prefix: string, opts: SignalOptions = {}): AsyncIterable<ObjectInfo> {
    throwIfAborted(opts.signal);
    for (const [key, b] of [...this.objects]) if (key.startsWith(prefix)) yield { key, size: b.length, lastModified: this.meta.get(key)?.lastModified ?? new Date(0) };
  }

  async delete(key: string, opts: SignalOptions = {}): Promise<void> {
    validateObjectKey(key);
    throwIfAborted(opts.signal);
    this.objects.delete(key);
    this.meta.delete(key);
  }

  async cleanupUploads(prefix: string, olderThan: Date, opts: CleanupUploadsOptions = {}): Promise<number> {
    throwIfAborted(opts.signal);
    let removed = 0;
    for (const u of [...this.uploads]) {
      if (!u.key.startsWith(prefix) || u.started >= olderThan) continue;
      const kept = opts.keep?.(u.key) === true;
      const remove = !opts.dryRun && !kept;
      if (remove) {
        u.done = true;
        this.uploads.delete(u);
        removed++;
      }
      opts.onUpload?.({ key: u.key, started: u.started, removed: remove, kept });
    }
    return removed;
  }

  async close(): Promise<void> {}
}
