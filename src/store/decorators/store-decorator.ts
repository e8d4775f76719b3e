import type { Readable } from 'node:stream';
import type {
  ByteRange,
  CleanupUploadsOptions,
  CompleteOptions,
  GetOptions,
  MultipartUpload,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  ResumedUpload,
  SignalOptions,
  StoreLimits,
  UploadPart,
} from '../object-store.js';
import type { StoreCall } from './call-kind.js';
import { readRangeInto } from './read-range-into.js';

/**
 * An ObjectStore wrapping an ObjectStore (restic's retry/sema/logger backends). Every call, and the
 * part uploads and commit of every upload it starts, goes through `around()`; a decorator overrides
 * that one hook (and `listThrough` where listing needs more than forwarding). So a decorator is a
 * few lines and cannot forget a method when the interface grows.
 *
 * `getInto` is always there: where the inner store lacks it, a ranged `get` read to its end into the
 * buffer stands in, so the whole read (not just opening the response) is one call a retry can repeat.
 */
export abstract class StoreDecorator implements ObjectStore {
  readonly resumeUpload?: (key: string, handle: string, opts?: SignalOptions) => Promise<ResumedUpload | undefined>;

  constructor(protected readonly inner: ObjectStore) {
    // Optional in the contract: present exactly when the inner store has it (open-upload.ts asks).
    if (inner.resumeUpload) {
      const resume = inner.resumeUpload.bind(inner);
      this.resumeUpload = (key, handle, opts = {}) =>
        this.around({ kind: 'resumeUpload', key, ...signalOf(opts) }, async () => {
          const r = await resume(key, handle, opts);
          return r && { ...r, upload: this.wrapUpload(r.upload) };
        });
    }
  }

  /** Runs one call of the inner store. */
  protected abstract around<T>(call: StoreCall, fn: () => Promise<T>): Promise<T>;

  /** Lists through the inner store; pages are not visible from outside, so by default it forwards. */
  protected listThrough(prefix: string, opts: SignalOptions): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix, opts);
  }

  get limits(): StoreLimits {
    return this.inner.limits;
  }

  describe(): string {
    return this.inner.describe();
  }

  put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    return this.around({ kind: 'put', key, bytes: body.length, ...signalOf(opts) }, () => this.inner.put(key, body, opts));
  }

  async createUpload(key: string, opts: PutOptions = {}): Promise<MultipartUpload> {
    return this.wrapUpload(await this.around({ kind: 'createUpload', key, ...signalOf(opts) }, () => this.inner.createUpload(key, opts)));
  }

  get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const call: StoreCall = opts.range ? { kind: 'getRange', key, bytes: opts.range.length, ...signalOf(opts) } : { kind: 'get', key, ...signalOf(opts) };
    return this.around(call, () => this.inner.get(key, opts));
  }

  getInto(key: string, range: ByteRange, into: Buffer, opts: SignalOptions = {}): Promise<number> {
    return this.around({ kind: 'getRange', key, bytes: range.length, ...signalOf(opts) }, () =>
      this.inner.getInto ? this.inner.getInto(key, range, into, opts) : readRangeInto(this.inner, key, range, into, opts),
    );
  }

  head(key: string, opts: SignalOptions = {}): Promise<ObjectInfo | undefined> {
    return this.around({ kind: 'head', key, ...signalOf(opts) }, () => this.inner.head(key, opts));
  }

  list(prefix: string, opts: SignalOptions = {}): AsyncIterable<ObjectInfo> {
    return this.listThrough(prefix, opts);
  }

  delete(key: string, opts: SignalOptions = {}): Promise<void> {
    return this.around({ kind: 'delete', key, ...signalOf(opts) }, () => this.inner.delete(key, opts));
  }

  cleanupUploads(prefix: string, olderThan: Date, opts: CleanupUploadsOptions = {}): Promise<number> {
    return this.around({ kind: 'cleanupUploads', key: prefix, ...signalOf(opts) }, () => this.inner.cleanupUploads(prefix, olderThan, opts));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private wrapUpload(u: MultipartUpload): MultipartUpload {
    return decorateUpload(u, (call, fn) => this.around(call, fn));
  }
}

/** The same upload, its part uploads and commit going through `around`; everything else forwarded. */
export function decorateUpload(u: MultipartUpload, around: <T>(call: StoreCall, fn: () => Promise<T>) => Promise<T>): MultipartUpload {
  const w: MultipartUpload = {
    key: u.key,
    get handle() {
      return u.handle;
    },
    uploadPart: (part: UploadPart, opts: SignalOptions = {}) =>
      around({ kind: 'putPart', key: u.key, bytes: part.data.length, ...signalOf(opts) }, () => u.uploadPart(part, opts)),
    complete: (opts: CompleteOptions = {}) => around({ kind: 'complete', key: u.key, ...signalOf(opts) }, () => u.complete(opts)),
    abort: () => u.abort(),
  };
  if (u.receiptOf) w.receiptOf = (n) => u.receiptOf!(n);
  if (u.checkpoint) w.checkpoint = (opts) => u.checkpoint!(opts);
  if (u.suspend) w.suspend = () => u.suspend!();
  return w;
}

function signalOf(opts: SignalOptions): Pick<StoreCall, 'signal' | 'onRetry'> {
  return { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onRetry ? { onRetry: opts.onRetry } : {}) };
}
