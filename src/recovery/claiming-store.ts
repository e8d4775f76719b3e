import type { ObjectStore } from '../store/object-store.js';
import { inFlight } from './in-flight.js';

/**
 * Wraps a store so every upload it starts is marked in flight until it is completed or aborted: the
 * agent's cleanup pass then never removes the unfinished upload of a backup running right now,
 * whatever the grace period says. A wrapper (not a change in each backend), like retry and metrics.
 */
export function claimingStore(store: ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'createUpload') {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      }
      return async (key: string, opts?: Parameters<ObjectStore['createUpload']>[1]) => {
        const release = inFlight.claim('key', key);
        try {
          const upload = await target.createUpload(key, opts);
          // Every other member goes straight to the real upload (bound to it, so its state stays one).
          return new Proxy(upload, {
            get(u, p, r) {
              const v = Reflect.get(u, p, r) as unknown;
              if (typeof v !== 'function') return v;
              const f = (v as (...a: unknown[]) => unknown).bind(u);
              if (p !== 'complete' && p !== 'abort') return f;
              return async (...args: unknown[]) => {
                try {
                  return await f(...args);
                } finally {
                  release();
                }
              };
            },
          });
        } catch (e) {
          release();
          throw e;
        }
      };
    },
  });
}
