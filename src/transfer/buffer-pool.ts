import { abortedError } from '../errors.js';
import { allocAligned } from '../util/aligned-buffer.js';

/**
 * A fixed number of part buffers. `acquire` waits while all are out, which is what bounds memory
 * (count x largest part size) and what turns a slow store into backpressure on `zfs send`.
 * Buffers are reused; a request for a larger size than a free buffer has replaces it. They are
 * page-aligned (allocAligned) so the local store can read and write them with O_DIRECT.
 */
export class BufferPool {
  private free: Buffer[] = [];
  private outstanding = 0;
  private waiters: Array<() => void> = [];
  private maxAllocated = 0;

  constructor(readonly count: number) {
    if (count < 1) throw new Error('buffer pool needs at least one buffer');
  }

  async acquire(size: number, signal?: AbortSignal): Promise<Buffer> {
    while (this.outstanding >= this.count) {
      if (signal?.aborted) throw abortedError(signal);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(abortedError(signal!));
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.outstanding++;
    let buf = this.free.pop();
    if (!buf || buf.length < size) {
      // Page-aligned, large, long-lived, never shared with Node's small-buffer slab.
      buf = allocAligned(size);
    }
    this.maxAllocated = Math.max(this.maxAllocated, size);
    return buf.length === size ? buf : buf.subarray(0, size);
  }

  release(buf: Buffer): void {
    this.outstanding--;
    // Keep the full underlying allocation for reuse.
    const whole = buf.byteOffset === 0 && buf.buffer.byteLength >= buf.length ? Buffer.from(buf.buffer, 0, buf.buffer.byteLength) : buf;
    this.free.push(whole);
    this.waiters.shift()?.();
  }

  /** Upper bound of bytes this pool can hold. */
  get boundBytes(): number {
    return this.count * this.maxAllocated;
  }
}
