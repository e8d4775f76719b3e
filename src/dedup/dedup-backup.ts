import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, throwIfAborted } from '../errors.js';
import { checkExit } from '../exec/owned-process.js';
import { backupKeying } from '../keys/backup-keying.js';
import type { Keyring } from '../keys/keyring.js';
import { sha256Hasher } from '../keys/sha256-hasher.js';
import type { Layout } from '../model/layout.js';
import type { ObjectStore } from '../store/object-store.js';
import type { HasherFactory } from '../model/hasher.js';
import { MANIFEST_FORMAT, type Manifest } from '../model/manifest.js';
import type { ProgressMeter } from '../transfer/progress.js';
import { Pacer } from '../store/decorators/rate-limited-store.js';
import { VERSION } from '../version.js';
import type { DatasetName, SnapshotShortName } from '../zfs/names.js';
import type { Zfs } from '../zfs/zfs.js';
import { GcGuard } from './gc-guard.js';
import { SEGMENT_MAX_BYTES } from './segment-cut.js';
import { writeCodec } from './segment-codec.js';
import { SegmentStore } from './segment-store.js';
import { type ClosedSegment, DedupUnsupported, StreamSplitter } from './stream-splitter.js';

export interface DedupBackupInput {
  zfs: Zfs;
  store: ObjectStore;
  layout: Layout;
  keys?: Keyring;
  /** The plain pipeline's hasher (XXH64 without keys). */
  hasher: HasherFactory;
  dataset: DatasetName;
  snap: SnapshotShortName;
  prev?: SnapshotShortName;
  snapGuid: string;
  prevGuid: string;
  dataKey: string;
  manifestKey: string;
  /** Manifest fields the plain pipeline would write. */
  backup: string;
  schedule: string;
  volume: string;
  previousBackup: string;
  node?: string;
  concurrency: number;
  rateLimitBytesPerSec?: number;
  meter: ProgressMeter;
  signal: AbortSignal;
  log: Logger;
}

/** Why the stream was stored plain instead; undefined when it was stored deduplicated. */
export type DedupOutcome = { manifest: Manifest } | { fallback: string };

/**
 * Backs a snapshot up in the dedup layout: `zfs send` is split at record boundaries (headers only),
 * payloads grouped into content-addressed segments uploaded only when absent, the headers into the
 * backup's recipe chunks, and the manifest (the commit point, signed when a key is set) names the
 * recipe chunks. Memory: (concurrency + 1) segment buffers of SEGMENT_MAX_BYTES, plus the open
 * recipe chunk. A stream the splitter cannot size record by record is not stored here at all: the
 * caller falls back to the plain layout (and says so); segments uploaded until then are garbage GC
 * collects.
 */
export async function dedupBackup(i: DedupBackupInput): Promise<DedupOutcome> {
  const { signal, log, meter } = i;
  const keying = backupKeying(i.keys, i.dataKey, i.hasher);
  const codec = writeCodec(i.keys);
  const whole = (keying.hash === 'sha256' ? sha256Hasher : i.hasher).create();
  const segs = new SegmentStore(i.store, i.layout);
  const guard = await GcGuard.open(segs, signal);
  const window = Math.max(1, i.concurrency);
  const free: Buffer[] = [];
  let pooled = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const seen = new Set<string>();
  const referenced = new Set<string>();
  const recipe: Array<{ id: string; size: number }> = [];
  let addedBytes = 0;
  let addedSegments = 0;
  let segments = 0;

  const store = async (id: string, stored: Buffer): Promise<void> => {
    if (await guard.canReuse(id, signal)) return;
    // Unkeyed segments are named by the SHA-256 of their stored bytes: S3 signs that, not a second hash.
    await segs.put(id, stored, signal, codec.codec === 'sha256' ? id : undefined);
    addedBytes += stored.length;
    addedSegments++;
  };
  const track = (p: Promise<void>) => {
    const t = p.catch((e) => {
      failure ??= e;
    }).finally(() => inFlight.delete(t));
    inFlight.add(t);
  };
  const splitter = new StreamSplitter({
    idOf: (d) => codec.idOf(d),
    alloc: (size) => {
      if (size > SEGMENT_MAX_BYTES) return Buffer.allocUnsafe(size);
      if (free.length > 0) return free.pop()!;
      pooled++;
      return Buffer.allocUnsafe(SEGMENT_MAX_BYTES);
    },
    segment: (s: ClosedSegment) => {
      segments++;
      referenced.add(s.id);
      const release = () => {
        if (s.data.length === SEGMENT_MAX_BYTES) free.push(s.data);
      };
      if (seen.has(s.id)) return release();
      seen.add(s.id);
      track(store(s.id, codec.seal(s.id, s.data.subarray(0, s.size))).finally(release));
    },
    chunk: (encoded) => {
      const id = codec.idOf(encoded);
      const stored = codec.seal(id, encoded);
      recipe.push({ id, size: stored.length });
      referenced.add(id);
      track(store(id, stored));
    },
  });

  const proc = i.zfs.send(i.dataset, i.snap, i.prev, signal);
  const started = Date.now();
  const pacer = i.rateLimitBytesPerSec ? new Pacer(i.rateLimitBytesPerSec) : undefined;
  let paced = 0;
  meter.setPhase('transfer');
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      whole.update(chunk);
      meter.add(chunk.length);
      for (let at = 0; at < chunk.length; ) {
        // Before each step the splitter may need one buffer: wait while every buffer is uploading.
        while ((free.length === 0 && pooled >= window + 1) || inFlight.size > window) {
          if (failure) throw failure;
          await Promise.race(inFlight);
        }
        if (failure) throw failure;
        at = splitter.push(chunk, at);
      }
      if (pacer) {
        await pacer.take(splitter.streamBytes - paced, signal);
        paced = splitter.streamBytes;
      }
    }
    checkExit(await proc.exit, 'zfs send');
    splitter.finish();
    await Promise.all(inFlight);
    if (failure) throw failure;
    throwIfAborted(signal);
  } catch (e) {
    await proc.stop();
    await Promise.allSettled(inFlight);
    if (e instanceof DedupUnsupported && !signal.aborted) {
      log.warn({ reason: e.message }, 'this stream cannot be stored deduplicated; falling back to the plain layout');
      meter.bytes = 0;
      return { fallback: e.message };
    }
    throw e;
  }
  meter.setPhase('commit');
  if (await i.store.head(i.manifestKey, { signal })) {
    throw new SnapstreamError(ErrorCode.ALREADY_EXISTS, `backup ${i.backup} of volume ${i.volume} was committed meanwhile by another writer; this one is discarded`);
  }
  await guard.beforeCommit(referenced, log, signal);
  const finishedAt = new Date();
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: keying.version,
    backup: i.backup,
    schedule: i.schedule,
    volume: i.volume,
    dataset: i.dataset,
    snapshot: i.snap,
    snapshotGuid: i.snapGuid,
    previousSnapshot: i.prev ?? '',
    previousSnapshotGuid: i.prevGuid,
    previousBackup: i.prev ? i.previousBackup : '',
    dataKey: i.dataKey,
    size: splitter.streamBytes,
    hash: keying.hash,
    streamHash: whole.digestHex(),
    parts: [],
    startedAt: new Date(started).toISOString(),
    finishedAt: finishedAt.toISOString(),
    agent: { name: 'snapstream', version: VERSION },
    sendArgs: i.zfs.sendArgs(i.dataset, i.snap, i.prev),
    ...(i.node ? { node: i.node } : {}),
    dedup: {
      version: 1,
      codec: codec.codec,
      ...(codec.keyId ? { keyId: codec.keyId } : {}),
      recipe,
      segments,
      segmentBytes: splitter.segmentBytes,
      addedBytes,
      addedSegments,
    },
  };
  await i.store.put(i.manifestKey, keying.serialize(manifest), { signal, contentType: 'application/json' });
  meter.setPhase('done');
  log.info(
    {
      bytes: manifest.size,
      segments,
      addedSegments,
      addedBytes,
      recipeChunks: recipe.length,
      dedupRatio: addedBytes > 0 ? +(manifest.size / addedBytes).toFixed(2) : null,
      seconds: (Date.now() - started) / 1000,
    },
    'deduplicated backup committed',
  );
  return { manifest };
}
