import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Layout } from '../model/layout.js';
import type { ObjectStore } from '../store/object-store.js';
import { readSmallObject } from '../transfer/download-stream.js';
import { dedupPrefix } from './segment-store.js';

/**
 * The garbage collector's two small records, beside the segments:
 * - the mark (`dedup/gc-mark.json`): when it was taken, the grace it promises, and the segments that
 *   were present but unreferenced then (the candidates the next sweep may delete);
 * - the sweep (`dedup/gc-sweep.json`): when the last sweep started and whether it finished, which a
 *   committing backup checks (gc-guard.ts).
 */
export interface GcMark {
  at: Date;
  graceMs: number;
  candidates: string[];
}

export interface GcSweep {
  startedAt: Date;
  finishedAt?: Date;
}

export const DEFAULT_GC_GRACE_MS = 24 * 3600_000;
const MAX_MARK_BYTES = 256 * 1024 * 1024;

export const markKey = (l: Layout) => dedupPrefix(l) + 'gc-mark.json';
export const sweepKey = (l: Layout) => dedupPrefix(l) + 'gc-sweep.json';

async function readJson(store: ObjectStore, key: string, max: number, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readSmallObject(store, key, max, signal);
  } catch (e) {
    if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return undefined;
    throw e;
  }
  try {
    const o = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) return o as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `${store.describe()}/${key} is not a JSON object; delete it to let GC start over`);
}

const date = (v: unknown, what: string): Date => {
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `${what} is not a date`);
  return d;
};

export async function readMark(store: ObjectStore, layout: Layout, signal?: AbortSignal): Promise<GcMark | undefined> {
  const o = await readJson(store, markKey(layout), MAX_MARK_BYTES, signal);
  if (!o) return undefined;
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `GC mark ${markKey(layout)} is invalid: ${why}; delete it to let GC start over`);
  };
  if (o.format !== 'snapstream.dedup-gc-mark' || o.version !== 1) bad('unknown format or version');
  if (typeof o.graceSeconds !== 'number' || !(o.graceSeconds >= 0)) bad('graceSeconds');
  if (!Array.isArray(o.candidates) || !o.candidates.every((c) => typeof c === 'string' && /^[0-9a-f]{64}$/.test(c))) bad('candidates');
  return { at: date(o.at, 'GC mark "at"'), graceMs: (o.graceSeconds as number) * 1000, candidates: o.candidates as string[] };
}

export async function writeMark(store: ObjectStore, layout: Layout, m: GcMark, signal?: AbortSignal): Promise<void> {
  const body = { format: 'snapstream.dedup-gc-mark', version: 1, at: m.at.toISOString(), graceSeconds: m.graceMs / 1000, candidates: m.candidates };
  await store.put(markKey(layout), Buffer.from(JSON.stringify(body) + '\n'), { signal, contentType: 'application/json' });
}

export async function readSweep(store: ObjectStore, layout: Layout, signal?: AbortSignal): Promise<GcSweep | undefined> {
  const o = await readJson(store, sweepKey(layout), 64 * 1024, signal);
  if (!o) return undefined;
  return { startedAt: date(o.startedAt, 'GC sweep "startedAt"'), ...(o.finishedAt ? { finishedAt: date(o.finishedAt, 'GC sweep "finishedAt"') } : {}) };
}

export async function writeSweep(store: ObjectStore, layout: Layout, s: GcSweep, signal?: AbortSignal): Promise<void> {
  const body = { format: 'snapstream.dedup-gc-sweep', version: 1, startedAt: s.startedAt.toISOString(), ...(s.finishedAt ? { finishedAt: s.finishedAt.toISOString() } : {}) };
  await store.put(sweepKey(layout), Buffer.from(JSON.stringify(body) + '\n'), { signal, contentType: 'application/json' });
}
