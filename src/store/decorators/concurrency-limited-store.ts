import type { Readable } from 'node:stream';
import type { ObjectStore } from '../object-store.js';
import type { StoreCall } from './call-kind.js';
import { Semaphore } from './semaphore.js';
import { StoreDecorator } from './store-decorator.js';

/**
 * At most `limit` requests of this store in flight (restic's sema backend). Sits inside the retry
 * decorator, so a call that backs off between attempts does not hold a slot while it sleeps. A
 * streamed `get` holds its slot until its body is done (ended, failed or destroyed): the socket is
 * busy that long. Lists are not limited: they pull pages lazily, and a consumer that makes calls
 * while it iterates would otherwise wait for its own slot.
 */
export class ConcurrencyLimitedStore extends StoreDecorator {
  readonly sema: Semaphore;

  constructor(inner: ObjectStore, limit: number) {
    super(inner);
    this.sema = new Semaphore(limit);
  }

  protected async around<T>(call: StoreCall, fn: () => Promise<T>): Promise<T> {
    const release = await this.sema.acquire(call.signal);
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      release();
      throw e;
    }
    if ((call.kind === 'get' || call.kind === 'getRange') && isReadable(result)) {
      if (result.destroyed || result.readableEnded) release();
      else result.once('close', release).once('end', release).once('error', release);
    } else {
      release();
    }
    return result;
  }
}

function isReadable(v: unknown): v is Readable {
  return typeof (v as Readable | undefined)?.once === 'function' && typeof (v as Readable).read === 'function';
}
