import { Readable } from 'node:stream';
import pino from 'pino';
import { loadHasher } from '../../../src/model/hasher.js';
import { planParts } from '../../../src/plan/part-plan.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { uploadStream } from '../../../src/transfer/upload-stream.js';
import type { MemoryStore } from '../../helpers/memory-store.js';

export const KiB = 1024;
const log = pino({ level: 'silent' });

export function chunked(data: Buffer, size = 64 * KiB): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

/** Uploads data to `obj` in the memory store through the real pipeline. */
export async function upload(store: MemoryStore, data: Buffer | Readable, partSize: number, concurrency: number) {
  const ac = new AbortController();
  const up = await store.createUpload('obj');
  const meter = new ProgressMeter({ controller: ac });
  const r = await uploadStream(Buffer.isBuffer(data) ? chunked(data) : data, {
    upload: up, limits: store.limits, plan: planParts({ limits: store.limits, partSize }), concurrency,
    hasher: await loadHasher(), meter, signal: ac.signal, log,
  });
  await up.complete();
  return { r, meter };
}
