import type { MultipartUpload, ObjectStore } from '../object-store.js';
import type { StoreCall } from './call-kind.js';
import { StoreDecorator, decorateUpload } from './store-decorator.js';
import { sleep } from './with-retry.js';

/**
 * Spaces calls so that, when one starts, the bytes up to and including its own fit an average of
 * `bytesPerSec` since the first call: the transfer is never faster than bytes / rate.
 */
export class Pacer {
  private started: number | undefined;
  private reserved = 0;

  constructor(private readonly bytesPerSec: number) {}

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    this.started ??= now;
    this.reserved += bytes;
    const due = this.started + (this.reserved / this.bytesPerSec) * 1000;
    if (due > now) await sleep(due - now, signal);
  }
}

/**
 * Caps the average rate of a transfer's bytes (part uploads and ranged reads; small objects are not
 * counted): a call waits until the bytes before it fit the rate. Waiting before a part is sent holds
 * its buffer, so the source pauses (backpressure) and the pace is smooth at part granularity. A part
 * skipped by a resumed backup is never sent and costs nothing.
 *
 * The rate belongs to one transfer (a request's rateLimitBytesPerSec), so the pipeline applies this
 * decorator over the store (or upload) it was given, outside the retry decorator: a resent part
 * counts once.
 */
export class RateLimitedStore extends StoreDecorator {
  constructor(inner: ObjectStore, private readonly pacer: Pacer) {
    super(inner);
  }

  protected async around<T>(call: StoreCall, fn: () => Promise<T>): Promise<T> {
    if ((call.kind === 'putPart' || call.kind === 'getRange') && call.bytes) await this.pacer.take(call.bytes, call.signal);
    return fn();
  }
}

/** `store` paced to `bytesPerSec`, or `store` itself when there is no limit (0 or undefined). */
export function rateLimited(store: ObjectStore, bytesPerSec: number | undefined): ObjectStore {
  return bytesPerSec && bytesPerSec > 0 ? new RateLimitedStore(store, new Pacer(bytesPerSec)) : store;
}

/** The same for an upload already started (the backup pipeline is handed one). */
export function rateLimitedUpload(upload: MultipartUpload, bytesPerSec: number | undefined): MultipartUpload {
  if (!bytesPerSec || bytesPerSec <= 0) return upload;
  const pacer = new Pacer(bytesPerSec);
  return decorateUpload(upload, async (call, fn) => {
    if (call.kind === 'putPart' && call.bytes) await pacer.take(call.bytes, call.signal);
    return fn();
  });
}
