import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Layout } from '../model/layout.js';
import type { DownloadOptions } from '../transfer/download-stream.js';
import type { Manifest } from '../model/manifest.js';
import { Pacer } from '../store/decorators/rate-limited-store.js';
import { DRR_HEADER_BYTES, type ByteOrder, RecordType, decodeRecordHeader, streamByteOrder } from '../zstream/record-header.js';
import { readRecipeChunk } from './recipe-reader.js';
import type { SegmentRef } from './recipe.js';
import { type SegmentCodec, readCodec, storedSizeFor } from './segment-codec.js';
import { SegmentStore } from './segment-store.js';

/** Rebuilt bytes handed to the sink at a time. */
const OUT_BYTES = 4 * 1024 * 1024;

/** The layout a (validated) manifest's dataKey was made with: its backupPathPrefix. */
export function layoutOfManifest(m: Manifest): Layout {
  const at = m.dataKey.lastIndexOf(`backups/${m.backup}/`);
  return { backupPathPrefix: at > 0 ? m.dataKey.slice(0, at - 1) : '', prefix: '' };
}

/**
 * The dedup layout's half of downloadVerified: rebuilds the exact stream from the recipe chunks and
 * segments, in order, into `sink`. Every recipe chunk and segment is checked against its id before a
 * byte of it is used; up to `window` segments are fetched ahead (memory: window segments + one recipe
 * chunk + OUT_BYTES). The bytes that end the stream (END included) are held back until the
 * whole-stream digest matched the manifest's, so `zfs recv` never commits a stream that fails it.
 */
export async function downloadDedup(o: DownloadOptions & { dedupCodec?: SegmentCodec }): Promise<{ bytes: number }> {
  const m = o.manifest;
  const d = m.dedup!;
  const codec = o.dedupCodec ?? readCodec(d, undefined, m.backup);
  const segs = new SegmentStore(o.store, layoutOfManifest(m));
  const whole = o.hasher.create();
  const window = Math.max(1, o.window);
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INTEGRITY_MISMATCH, `backup ${m.backup}: the deduplicated stream does not rebuild: ${why}`);
  };
  let out: Buffer[] = [];
  let outBytes = 0;
  let bytes = 0;
  let n = 0;
  const pacer = o.rateLimitBytesPerSec ? new Pacer(o.rateLimitBytesPerSec) : undefined;
  let paced = 0;
  const flush = async () => {
    if (outBytes === 0) return;
    const data = out.length === 1 ? out[0]! : Buffer.concat(out, outBytes);
    out = [];
    outBytes = 0;
    n++;
    await o.sink(data, { n, offset: bytes, size: data.length });
    bytes += data.length;
    o.meter.add(data.length);
    if (pacer) {
      await pacer.take(bytes - paced, o.signal);
      paced = bytes;
    }
  };
  // Flushes what came before, never the piece just added: the stream's last bytes stay held back.
  const emit = async (b: Buffer) => {
    if (b.length === 0) return;
    if (outBytes >= OUT_BYTES) await flush();
    whole.update(b);
    out.push(b);
    outBytes += b.length;
  };
  const fetchSegment = async (s: SegmentRef): Promise<Buffer> => {
    const plain = codec.open(s.id, await segs.get(s.id, storedSizeFor(codec, s.size), o.signal), `backup ${m.backup}: segment`);
    if (plain.length !== s.size) bad(`segment ${s.id} has ${plain.length} bytes, the recipe says ${s.size}`);
    return plain;
  };

  let order: ByteOrder | undefined;
  let lastType = -1;
  const pending: Array<Promise<Buffer>> = [];
  try {
    for (let c = 0; c < d.recipe.length; c++) {
      const chunk = await readRecipeChunk(segs, codec, m, c, o.signal);
      const list = chunk.segments;
      let next = 0;
      let consumed = 0;
      const refill = () => {
        while (next < list.length && next - consumed < window) {
          const p = fetchSegment(list[next]!);
          p.catch(() => {});
          pending[next] = p;
          next++;
        }
      };
      refill();
      let cur: Buffer | undefined;
      let curAt = 0;
      const take = async (need: number) => {
        while (need > 0) {
          if (!cur || curAt === cur.length) {
            if (consumed >= list.length) bad(`recipe chunk ${c + 1} needs more segment bytes than it lists`);
            cur = await pending[consumed]!;
            delete pending[consumed];
            consumed++;
            curAt = 0;
            refill();
          }
          const k = Math.min(need, cur.length - curAt);
          await emit(cur.subarray(curAt, curAt + k));
          curAt += k;
          need -= k;
        }
      };
      const r = chunk.records;
      for (let at = 0; at < r.length; ) {
        if (r.length - at < DRR_HEADER_BYTES) bad(`recipe chunk ${c + 1} ends inside a record header`);
        const header = r.subarray(at, at + DRR_HEADER_BYTES);
        order ??= streamByteOrder(header) ?? bad('it does not start with a BEGIN record');
        const h = decodeRecordHeader(header, order);
        if (!h.known) bad(`record type ${h.type} in recipe chunk ${c + 1}`);
        lastType = h.type;
        at += DRR_HEADER_BYTES;
        await emit(header);
        if ((h.type === RecordType.WRITE || h.type === RecordType.SPILL) && h.payloadBytes > 0) {
          await take(h.payloadBytes);
        } else if (h.payloadBytes > 0) {
          if (at + h.payloadBytes > r.length) bad(`a record's in-line payload runs past recipe chunk ${c + 1}`);
          await emit(r.subarray(at, at + h.payloadBytes));
          at += h.payloadBytes;
        }
      }
      if (consumed !== list.length || (cur && curAt !== cur.length)) bad(`recipe chunk ${c + 1} lists segment bytes its records do not use`);
    }
    if (lastType !== RecordType.END) bad('it does not end with an END record');
    if (bytes + outBytes !== m.size) bad(`it rebuilds to ${bytes + outBytes} bytes, the manifest says ${m.size}`);
    const actual = whole.digestHex();
    if (actual !== m.streamHash) {
      throw new SnapstreamError(ErrorCode.INTEGRITY_MISMATCH, `backup ${m.backup}: whole-stream ${m.hash} of the rebuilt stream is ${actual}, manifest says ${m.streamHash}`, {
        details: { expected: m.streamHash, actual },
      });
    }
    await flush();
  } catch (e) {
    await Promise.allSettled(pending.filter(Boolean));
    throw e;
  }
  return { bytes };
}
