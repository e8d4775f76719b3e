import { spawn } from 'node:child_process';
import type { ObjectStore } from '../../src/store/object-store.js';
import { loadHasher } from '../../src/model/hasher.js';
import { type Layout, dataKeyFor } from '../../src/model/layout.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, manifestKeyFor, serializeManifest } from '../../src/model/manifest.js';

/** Runs `zfs ARGS` and returns its stdout as bytes (a send stream). Test-only; small streams. */
export function zfsBytes(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('zfs', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zfs ${args.join(' ')}: ${code} ${err}`))));
  });
}

/**
 * What a bucket writer can do without any key: store `stream` as backup `backup` of `volume` with a
 * manifest whose every hash matches ("verified"), claiming whatever `claims` says.
 */
export async function plantBackup(
  store: ObjectStore,
  layout: Layout,
  backup: string,
  volume: string,
  stream: Buffer | undefined,
  claims: Partial<Manifest> = {},
  opts: { partSize?: number; manifest?: boolean } = {},
): Promise<Manifest> {
  const hasher = await loadHasher();
  const data = stream ?? Buffer.alloc(0);
  const dataKey = dataKeyFor(layout, backup, volume);
  const partSize = opts.partSize ?? 1024 * 1024;
  const parts: Manifest['parts'] = [];
  for (let off = 0, n = 1; off < data.length; off += partSize, n++) {
    const chunk = data.subarray(off, off + partSize);
    parts.push({ n, offset: off, size: chunk.length, xxh64: hasher.hashHex(chunk) });
  }
  const now = new Date().toISOString();
  const m: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    backup,
    schedule: '',
    volume,
    dataset: 'pool/unknown',
    snapshot: backup,
    snapshotGuid: '',
    previousSnapshot: '',
    previousSnapshotGuid: '',
    previousBackup: '',
    dataKey,
    size: data.length,
    hash: 'xxh64',
    streamHash: hasher.hashHex(data),
    parts,
    startedAt: now,
    finishedAt: now,
    agent: { name: 'snapstream', version: '0.0.0' },
    sendArgs: [],
    ...claims,
  };
  if (stream) await store.put(dataKey, data);
  if (opts.manifest !== false) await store.put(manifestKeyFor(dataKey), serializeManifest(m));
  return m;
}
