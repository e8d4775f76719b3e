import type { Logger } from 'pino';
import type { ObjectStore } from '../store/object-store.js';
import { LocalStore } from '../store/local-store.js';
import { type DecorateOptions, decorateStore } from '../store/decorators/decorate-store.js';
import type { LocationConfig } from './location-config.js';

export interface OpenStoreOptions {
  log: Logger;
  /** Sockets to keep per host (upload concurrency plus restore window); also the request limit. */
  maxSockets?: number;
  /** Request metrics (the agent's registry). */
  metrics?: DecorateOptions['metrics'];
  /** Retry policies by kind of call (tests use short ones). */
  retry?: DecorateOptions['retry'];
}

/** Builds the decorated ObjectStore for a location (decorate-store.ts shows the stack). */
export async function openStore(cfg: LocationConfig, opts: OpenStoreOptions): Promise<ObjectStore> {
  return decorateStore(await openBackend(cfg, opts), {
    log: opts.log,
    ...(opts.maxSockets ? { maxConcurrent: opts.maxSockets } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
  });
}

/** The bare backend for a location. The one place that knows every backend. */
async function openBackend(cfg: LocationConfig, opts: OpenStoreOptions): Promise<ObjectStore> {
  const s = cfg.store;
  switch (s.provider) {
    case 'local':
      return new LocalStore(s.path, { log: opts.log });
    case 'aws': {
      // Loaded on demand like GCS: the AWS SDK is a large share of startup time and memory.
      const { S3Store } = await import('../store/s3-store.js');
      return new S3Store(s, { root: '', log: opts.log, maxSockets: opts.maxSockets });
    }
    case 'gcp': {
      // Loaded on demand: the GCS client is large and most nodes use one provider.
      const { GcsStore } = await import('../store/gcs-store.js');
      const { checkCredentialsFile } = await import('../store/gcs/check-credentials-file.js');
      const credentials = s.keyFile ? await checkCredentialsFile(s.keyFile) : undefined;
      return new GcsStore(s, { root: '', log: opts.log, ...(credentials ? { credentials } : {}) });
    }
  }
}
