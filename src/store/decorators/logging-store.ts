import type { Logger } from 'pino';
import { isSnapstreamError } from '../../errors.js';
import type { ObjectStore } from '../object-store.js';
import type { StoreCall } from './call-kind.js';
import { StoreDecorator } from './store-decorator.js';

/**
 * One debug line per store request (call, key, bytes, time, error code): what `SNAPSTREAM_LOG_LEVEL=debug`
 * shows when a transfer is slow or failing. Inside the retry decorator, so each attempt has its line;
 * failures are logged at debug only, because the caller (or the retry decorator's warning) reports them.
 */
export class LoggingStore extends StoreDecorator {
  constructor(inner: ObjectStore, private readonly log: Logger) {
    super(inner);
  }

  protected async around<T>(call: StoreCall, fn: () => Promise<T>): Promise<T> {
    if (!this.log.isLevelEnabled('debug')) return fn();
    const t0 = performance.now();
    const line = { call: call.kind, key: call.key, ...(call.bytes !== undefined ? { bytes: call.bytes } : {}) };
    try {
      const r = await fn();
      this.log.debug({ ...line, ms: Math.round(performance.now() - t0) }, 'store request');
      return r;
    } catch (e) {
      this.log.debug({ ...line, ms: Math.round(performance.now() - t0), code: isSnapstreamError(e) ? e.code : 'INTERNAL' }, 'store request failed');
      throw e;
    }
  }
}
