import type { Logger } from 'pino';
import { isSnapstreamError } from '../../errors.js';
import type { ObjectInfo, ObjectStore, SignalOptions } from '../object-store.js';
import type { CallKind, StoreCall } from './call-kind.js';
import { DEFAULT_RETRY_POLICIES, type RetryPolicy } from './retry-policy.js';
import { StoreDecorator } from './store-decorator.js';
import { backoffDelay, sleep, withRetry } from './with-retry.js';

export interface RetryingStoreOptions {
  /** Per kind of call; kinds left out keep DEFAULT_RETRY_POLICIES. */
  policies?: Partial<Record<CallKind, RetryPolicy>>;
  log?: Logger;
}

/**
 * Repeats calls that failed with a retryable SnapstreamError, by the policy of their kind. The only
 * retry in the process: backends classify their errors (the `retryable` flag) and have their SDKs'
 * own retries turned off, so one part gets exactly `putPart.attempts` requests, not attempts times
 * the SDK's. Every call is replayable by contract: puts and parts hold their bytes until they settle,
 * reads and deletes are idempotent.
 *
 * A list that fails after it yielded some keys starts over and skips the keys already yielded (order
 * is unspecified by the contract, so skipping by key is exact).
 */
export class RetryingStore extends StoreDecorator {
  private readonly policies: Record<CallKind, RetryPolicy>;

  constructor(inner: ObjectStore, private readonly o: RetryingStoreOptions = {}) {
    super(inner);
    this.policies = { ...DEFAULT_RETRY_POLICIES, ...o.policies };
  }

  protected around<T>(call: StoreCall, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { ...this.policies[call.kind], ...(call.signal ? { signal: call.signal } : {}), onRetry: (err, attempt) => this.retrying(call, err, attempt) });
  }

  protected override async *listThrough(prefix: string, opts: SignalOptions): AsyncIterable<ObjectInfo> {
    const seen = new Set<string>();
    const policy = this.policies.list;
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const o of this.inner.list(prefix, opts)) {
          if (seen.has(o.key)) continue;
          seen.add(o.key);
          yield o;
        }
        return;
      } catch (e) {
        if (opts.signal?.aborted || !isSnapstreamError(e) || !e.retryable || attempt >= policy.attempts) throw e;
        this.retrying({ kind: 'list', key: prefix, ...(opts.onRetry ? { onRetry: opts.onRetry } : {}) }, e, attempt);
        await sleep(backoffDelay(policy, attempt), opts.signal);
      }
    }
  }

  private retrying(call: StoreCall, err: unknown, attempt: number): void {
    const { attempts } = this.policies[call.kind];
    this.o.log?.warn({ call: call.kind, key: call.key, attempt, of: attempts, err: (err as Error).message }, `store ${call.kind} failed, retrying`);
    call.onRetry?.(err, attempt);
  }
}
