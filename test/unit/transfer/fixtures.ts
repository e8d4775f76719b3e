import { Readable } from 'node:stream';
import pino from 'pino';
import { loadHasher } from '../../../src/model/hasher.js';
import { planParts } from '../../../src/plan/part-plan.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { uploadStream } from '../../../src/transfer/upload-stream.js';
import { decorateStore } from '../../../src/store/decorators/decorate-store.js';
import { DEFAULT_RETRY_POLICIES } from '../../../src/store/decorators/retry-policy.js';
import type { MemoryStore } from '../../helpers/memory-store.js';

export const KiB = 1024;
const log = pino({ level: 'silent' });
/** The production attempts per kind, backing off 1 ms. */
const fast = Object.fromEntries(Object.entries(DEFAULT_RETRY_POLICIES).map(([k, p]) => [k, { ...p, baseDelayMs: 1 }]));

/** The store as openStore() hands it out (decorated: retries, limits), so the pipelines see what they see in production. */
export function decorated(store: MemoryStore) {
  return decorateStore(store, { log, retry: fast });
}

export function chunked(data: Buffer, size = 64 * KiB): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

/** Uploads data to `obj` in the memory store through the real pipeline. */
export async function upload(store: MemoryStore, data: Buffer | Readable, partSize: number, concurrency: number) {
  const ac = new AbortController();
  const up = await decorated(store).createUpload('obj');
  const meter = new ProgressMeter({ controller: ac });
  const r = await uploadStream(Buffer.isBuffer(data) ? chunked(data) : data, {
    upload: up, limits: store.limits, plan: planParts({ limits: store.limits, partSize }), concurrency,
    hasher: await loadHasher(), meter, signal: ac.signal, log,
  });
  await up.complete();
  return { r, meter };
}
