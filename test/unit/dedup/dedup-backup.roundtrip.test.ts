import { createHash, randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { downloadVerified } from '../../../src/transfer/download-stream.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { sha256Hasher } from '../../../src/keys/sha256-hasher.js';
import { type Manifest, parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { type SegmentCodec, keyedCodec, sha256Codec } from '../../../src/dedup/segment-codec.js';
import { segmentKey } from '../../../src/dedup/segment-store.js';
import { DedupUnsupported, StreamSplitter } from '../../../src/dedup/stream-splitter.js';
import { SEGMENT_ALIGN_BYTES } from '../../../src/dedup/segment-cut.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { blocksOf, buildStream } from './synthetic-stream.js';

const log = pino({ level: 'silent' });
const layout = { backupPathPrefix: 'p', prefix: '' };
const MASTER = { keyId: '0123456789abcdef', key: randomBytes(32) };

/** Splits `stream` (in chunks of random sizes) into `store`; returns the manifest a backup would commit and the new bytes. */
function store(stream: Buffer, s: MemoryStore, codec: SegmentCodec, backup = 'b1'): { m: Manifest; added: number; segments: string[] } {
  let added = 0;
  const segments: string[] = [];
  const recipe: Array<{ id: string; size: number }> = [];
  const put = (id: string, stored: Buffer) => {
    const k = segmentKey(layout, id);
    if (!s.objects.has(k)) {
      s.objects.set(k, Buffer.from(stored));
      added += stored.length;
    }
  };
  const sp = new StreamSplitter({
    idOf: (d) => codec.idOf(d),
    alloc: (n) => Buffer.alloc(Math.max(n, 8 * 1024 * 1024)),
    segment: (x) => {
      segments.push(x.id);
      put(x.id, codec.seal(x.id, x.data.subarray(0, x.size)));
    },
    chunk: (enc) => {
      const id = codec.idOf(enc);
      const stored = codec.seal(id, enc);
      recipe.push({ id, size: stored.length });
      put(id, stored);
    },
  });
  for (let at = 0; at < stream.length; ) {
    const n = 1 + Math.floor(Math.random() * 200_000);
    const chunk = stream.subarray(at, at + n);
    for (let i = 0; i < chunk.length; ) i = sp.push(chunk, i);
    at += n;
  }
  sp.finish();
  const m: Manifest = {
    format: 'snapstream.backup', version: 2, backup, schedule: '', volume: 'v', dataset: 'pool/ds', snapshot: 'snap', snapshotGuid: '1234',
    previousSnapshot: '', previousSnapshotGuid: '', previousBackup: '', dataKey: `p/backups/${backup}/v-${backup}`, size: stream.length, hash: 'sha256',
    streamHash: createHash('sha256').update(stream).digest('hex'), parts: [], startedAt: '', finishedAt: '', agent: { name: 'snapstream', version: 't' }, sendArgs: [],
    dedup: { version: 1, codec: codec.codec, ...(codec.keyId ? { keyId: codec.keyId } : {}), recipe, segments: segments.length, segmentBytes: sp.segmentBytes, addedBytes: added, addedSegments: 0 },
  };
  return { m: parseManifest(serializeManifest(m), 'test'), added, segments };
}

async function rebuild(s: MemoryStore, m: Manifest, codec: SegmentCodec, sinkLog?: Buffer[]): Promise<Buffer> {
  const got: Buffer[] = sinkLog ?? [];
  const controller = new AbortController();
  const meter = new ProgressMeter({ controller });
  try {
    await downloadVerified({ store: s, manifest: m, window: 3, hasher: sha256Hasher, meter, signal: controller.signal, log, dedupCodec: codec, sink: async (d) => void got.push(Buffer.from(d)) });
  } finally {
    meter.stop();
  }
  return Buffer.concat(got);
}

describe('dedup layout: split, store, rebuild', () => {
  for (const [name, codec] of [['sha256', sha256Codec], ['keyed', keyedCodec(MASTER)]] as const) {
    it(`rebuilds the stream bit-exact (${name} codec), headers with per-record checksums included`, async () => {
      const s = new MemoryStore();
      const stream = buildStream([...blocksOf([5, 6], 40), { object: 7, offset: 0, data: randomBytes(5000) }]);
      const { m } = store(stream, s, codec);
      expect(m.dedup!.segments).toBeGreaterThan(3);
      expect((await rebuild(s, m, codec)).equals(stream)).toBe(true);
    });
  }

  it('keyed segments are encrypted at rest and their ids are not the plain SHA-256', async () => {
    const s = new MemoryStore();
    const blocks = blocksOf([5], 20);
    const { segments } = store(buildStream(blocks), s, keyedCodec(MASTER));
    const stored = s.objects.get(segmentKey(layout, segments[0]!))!;
    expect(stored.includes(blocks[0]!.data.subarray(0, 64))).toBe(false);
    const plainIds = new Set([...s.objects.values()].map((b) => createHash('sha256').update(b).digest('hex')));
    expect(segments.some((id) => plainIds.has(id))).toBe(false);
  });

  it('a second full stream with a few blocks changed (new guid, new checksums in every header) adds little more than the changed blocks', () => {
    const s = new MemoryStore();
    const blocks = blocksOf([5, 6, 7], 64); // 3 x 8 MiB
    const first = store(buildStream(blocks, { toguid: 1n }), s, sha256Codec);
    const changed = blocks.map((b) => ({ ...b }));
    for (const i of [65, 66, 67]) changed[i] = { ...changed[i]!, data: randomBytes(128 * 1024) }; // object 6, 3 blocks
    const second = store(buildStream(changed, { toguid: 2n }), s, sha256Codec, 'b2');
    const logical = second.m.size;
    const segmentsAdded = second.added - second.m.dedup!.recipe.reduce((n, r) => n + r.size, 0);
    // 384 KiB changed, all inside one 1 MiB aligned segment
    expect(segmentsAdded).toBeLessThanOrEqual(SEGMENT_ALIGN_BYTES);
    expect(segmentsAdded).toBeGreaterThanOrEqual(3 * 128 * 1024);
    expect(second.added - segmentsAdded).toBeLessThan(logical * 0.005);
    expect(first.segments.filter((id) => second.segments.includes(id)).length).toBe(second.segments.length - 1);
  });

  it('an unknown record type or send feature is refused (the backup then falls back to the plain layout)', () => {
    const s = new MemoryStore();
    expect(() => store(buildStream(blocksOf([5], 2), { extraRecordType: 42 }), s, sha256Codec)).toThrow(DedupUnsupported);
    expect(() => store(buildStream(blocksOf([5], 2), { featureFlags: 1 << 28 }), s, sha256Codec)).toThrow(/send features/);
  });

  it('a corrupted segment, recipe chunk or stream hash fails INTEGRITY_MISMATCH, and the END record never reaches the sink', async () => {
    const s = new MemoryStore();
    const stream = buildStream(blocksOf([5], 40));
    const { m, segments } = store(stream, s, sha256Codec);
    const seg = s.objects.get(segmentKey(layout, segments[1]!))!;
    seg[100]! ^= 1;
    await expect(rebuild(s, m, sha256Codec)).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH' });
    seg[100]! ^= 1;
    const chunk = s.objects.get(segmentKey(layout, m.dedup!.recipe[0]!.id))!;
    chunk[5]! ^= 1;
    await expect(rebuild(s, m, sha256Codec)).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH' });
    chunk[5]! ^= 1;
    const sunk: Buffer[] = [];
    await expect(rebuild(s, { ...m, streamHash: '0'.repeat(64) }, sha256Codec, sunk)).rejects.toThrow(/whole-stream/);
    const got = Buffer.concat(sunk);
    expect(got.length).toBeLessThan(stream.length);
    expect(stream.subarray(0, got.length).equals(got)).toBe(true);
  });

  it('a keyed backup without the encryption key fails DECRYPTION_FAILED before any fetch', async () => {
    const s = new MemoryStore();
    const { m } = store(buildStream(blocksOf([5], 4)), s, keyedCodec(MASTER));
    const { readKeying } = await import('../../../src/keys/read-keying.js');
    await expect(readKeying(m, undefined, true)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(rebuild(s, m, keyedCodec({ keyId: MASTER.keyId, key: randomBytes(32) }))).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
  });

  it('the manifest parser accepts a dedup block only without parts or encryption', () => {
    const s = new MemoryStore();
    const { m } = store(buildStream(blocksOf([5], 2)), s, sha256Codec);
    expect(parseManifest(serializeManifest(m), 't').dedup).toEqual(m.dedup);
    const withParts = { ...m, parts: [{ n: 1, offset: 0, size: m.size, sha256: '0'.repeat(64) }] };
    expect(() => parseManifest(serializeManifest(withParts), 't')).toThrow(/no "parts"/);
    const badId = { ...m, dedup: { ...m.dedup!, recipe: [{ id: 'x', size: 1 }] } };
    expect(() => parseManifest(serializeManifest(badId), 't')).toThrow(/recipe\[0\]\.id/);
    const { dedup: _d, ...plain } = m;
    expect(() => parseManifest(serializeManifest(plain as Manifest), 't')).toThrow(/"parts" is empty/);
  });
});
