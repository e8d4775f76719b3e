import type { Logger } from 'pino';
import type { ObjectStore } from '../store/object-store.js';
import { type DecorateOptions, decorateStore } from '../store/decorators/decorate-store.js';
import { type StoreEnv, readStoreEnv } from '../store/store-env.js';
import { backendFor } from '../store/store-registry.js';
import type { StoreBackend } from '../store/store-backend.js';
import type { LocationConfig, StoreConfig } from './location-config.js';

export interface OpenStoreOptions {
  log: Logger;
  /** Sockets to keep per host (upload concurrency plus restore window); also the request limit. */
  maxSockets?: number;
  /** Request metrics (the agent's registry). */
  metrics?: DecorateOptions['metrics'];
  /** Retry policies by kind of call (tests use short ones). */
  retry?: DecorateOptions['retry'];
  /** The stores' environment; default: the process's, read once (store-env.ts). */
  env?: StoreEnv;
}

let processEnv: StoreEnv | undefined;

/**
 * Builds the ObjectStore for a location: the registered backend (store-registry.ts), opened bare,
 * under the decorator stack (decorate-store.ts). Every store outside src/store/ comes from here.
 */
export async function openStore(cfg: LocationConfig, opts: OpenStoreOptions): Promise<ObjectStore> {
  const backend = backendFor(cfg.store) as StoreBackend<StoreConfig>;
  const env = opts.env ?? (processEnv ??= readStoreEnv());
  const bare = await backend.open(cfg.store, { log: opts.log, env, ...(opts.maxSockets ? { maxSockets: opts.maxSockets } : {}) });
  return decorateStore(bare, {
    log: opts.log,
    ...(opts.maxSockets ? { maxConcurrent: opts.maxSockets } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
  });
}
