import { abortedError } from '../errors.js';

/**
 * At most `limit` tasks per node at once, any number of nodes in parallel: a schedule's volumes spread
 * over the cluster without piling onto one node's pool and uplink. Waiters are served in order; an
 * aborted waiter leaves the queue.
 */
export class NodeLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`per-node limit must be a positive integer, got ${limit}`);
  }

  async run<T>(node: string, f: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(node, signal);
    try {
      return await f();
    } finally {
      this.release(node);
    }
  }

  /** Tasks running on `node` now (for tests and metrics). */
  active(node: string): number {
    return this.running.get(node) ?? 0;
  }

  /** Nodes with tasks running now and how many (for metrics). */
  activeNodes(): Map<string, number> {
    return new Map([...this.running].filter(([, n]) => n > 0));
  }

  private acquire(node: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const n = this.running.get(node) ?? 0;
    if (n < this.limit) {
      this.running.set(node, n + 1);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const q = this.waiting.get(node) ?? [];
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running.set(node, (this.running.get(node) ?? 0) + 1);
        resolve();
      };
      const onAbort = () => {
        const i = q.indexOf(wake);
        if (i >= 0) q.splice(i, 1);
        reject(abortedError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      q.push(wake);
      this.waiting.set(node, q);
    });
  }

  private release(node: string): void {
    this.running.set(node, (this.running.get(node) ?? 1) - 1);
    const next = this.waiting.get(node)?.shift();
    if (next) next();
    else if (this.running.get(node) === 0) this.running.delete(node);
  }
}
