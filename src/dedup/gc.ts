import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { Layout } from '../model/layout.js';
import type { ObjectStore } from '../store/object-store.js';
import { listBackups } from '../transfer/catalog.js';
import { planSweep } from './gc-plan.js';
import { DEFAULT_GC_GRACE_MS, readMark, writeMark, writeSweep } from './gc-state.js';
import { referencedIds } from './recipe-reader.js';
import { readCodec } from './segment-codec.js';
import { SegmentStore, idOfSegmentKey, segmentKey, segmentsPrefix } from './segment-store.js';

export interface GcOptions {
  store: ObjectStore;
  layout: Layout;
  log: Logger;
  keys?: Keyring;
  /** How long a segment must stay unreferenced after the mark before a sweep may delete it. */
  graceMs?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface GcResult {
  /** "none": the location holds no dedup data; "marked": first mark taken; "waiting": the mark is younger than its grace; "swept". */
  action: 'none' | 'marked' | 'waiting' | 'swept';
  segments: number;
  referenced: number;
  deleted: number;
  deletedBytes: number;
  candidates: number;
  /** When the next sweep may delete (mark time + grace). */
  nextSweepAt?: Date;
}

/**
 * One GC run over a location's deduplicated segments: mark, or (once the mark is a grace old) sweep
 * and mark again. References come from every committed manifest (all volumes, all schedules) through
 * their recipes; a manifest that cannot be read stops the run before anything is deleted, since its
 * segments cannot be told apart from garbage. One GC at a time per location (the controller, or a
 * CLI run): GC runs do not coordinate with each other, only with backups.
 */
export async function runGc(o: GcOptions): Promise<GcResult> {
  const now = o.now ?? (() => new Date());
  const segs = new SegmentStore(o.store, o.layout);
  const mark = await readMark(o.store, o.layout, o.signal);
  const graceMs = o.graceMs ?? mark?.graceMs ?? DEFAULT_GC_GRACE_MS;
  if (!mark && !(await anySegment(o))) {
    return { action: 'none', segments: 0, referenced: 0, deleted: 0, deletedBytes: 0, candidates: 0 };
  }
  if (mark && now().getTime() - mark.at.getTime() < mark.graceMs) {
    const nextSweepAt = new Date(mark.at.getTime() + mark.graceMs);
    o.log.info({ markAt: mark.at, nextSweepAt }, 'GC: the mark is younger than its grace; nothing to sweep yet');
    return { action: 'waiting', segments: 0, referenced: 0, deleted: 0, deletedBytes: 0, candidates: mark.candidates.length, nextSweepAt };
  }
  const sweepStarted = now();
  if (mark && !o.dryRun) await writeSweep(o.store, o.layout, { startedAt: sweepStarted }, o.signal);
  // Taken before the references are read: a segment written after this instant is newer than the mark.
  const markAt = now();
  const referenced = await allReferences(segs, o);
  const present = new Map<string, Date | undefined>();
  const sizes = new Map<string, number>();
  for await (const obj of o.store.list(segmentsPrefix(o.layout), { signal: o.signal })) {
    const id = idOfSegmentKey(o.layout, obj.key);
    if (!id) continue;
    present.set(id, obj.lastModified);
    sizes.set(id, obj.size);
  }
  const plan = planSweep({ mark, now: now(), referenced, present });
  let deletedBytes = 0;
  if (!o.dryRun) {
    const queue = [...plan.deletes];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          // Re-checked right before the delete: a backup that rewrote it since the listing keeps it.
          const info = await segs.head(id, o.signal);
          if (!info || (info.lastModified && mark && info.lastModified.getTime() > mark.at.getTime())) continue;
          await o.store.delete(segmentKey(o.layout, id), { signal: o.signal });
          deletedBytes += sizes.get(id) ?? 0;
        }
      }),
    );
    await writeMark(o.store, o.layout, { at: markAt, graceMs, candidates: plan.candidates }, o.signal);
    if (mark) await writeSweep(o.store, o.layout, { startedAt: sweepStarted, finishedAt: now() }, o.signal);
  } else {
    deletedBytes = plan.deletes.reduce((s, id) => s + (sizes.get(id) ?? 0), 0);
  }
  const result: GcResult = {
    action: mark ? 'swept' : 'marked',
    segments: present.size,
    referenced: referenced.size,
    deleted: plan.deletes.length,
    deletedBytes,
    candidates: plan.candidates.length,
    nextSweepAt: new Date(markAt.getTime() + graceMs),
  };
  o.log.info({ ...result, dryRun: o.dryRun === true, keptReferenced: plan.keptReferenced, keptRewritten: plan.keptRewritten }, 'GC run finished');
  return result;
}

/** Plain locations get no GC records at all. */
async function anySegment(o: GcOptions): Promise<boolean> {
  for await (const obj of o.store.list(segmentsPrefix(o.layout), { signal: o.signal })) if (obj) return true;
  return false;
}

async function allReferences(segs: SegmentStore, o: GcOptions): Promise<Set<string>> {
  const cat = await listBackups(o.store, o.layout, { signal: o.signal, log: o.log, keys: o.keys });
  if (cat.invalid.length > 0) {
    throw new SnapstreamError(
      ErrorCode.MANIFEST_INVALID,
      `GC stopped before deleting anything: ${cat.invalid.length} manifest(s) cannot be read (${cat.invalid[0]!.key}: ${cat.invalid[0]!.error}); ` +
        'their segments cannot be told from garbage. Fix or delete them (snapstream ls --all shows them)',
      { details: { invalid: cat.invalid.length } },
    );
  }
  const referenced = new Set<string>();
  for (const m of cat.backups) {
    if (!m.dedup) continue;
    await referencedIds(segs, readCodec(m.dedup, o.keys, m.backup), m, referenced, o.signal);
  }
  return referenced;
}
