import { ErrorCode, SnapstreamError } from '../errors.js';
import type { StoredPart } from '../store/object-store.js';
import type { ManifestPart } from '../model/manifest.js';
import { type PartPlan, partSizeFor } from '../plan/part-plan.js';
import type { ProgressRecord, RecordedPart } from './progress-record.js';

/**
 * Pure planning of a resumed backup: is the progress record about this very stream, which of its
 * parts does the store really hold, and (while the regenerated stream is read) is each part the same
 * as before. No I/O here; backup.ts does the store calls and feeds the answers in.
 */

/** What makes two runs produce the same stream in the same parts. */
export interface StreamIdentity {
  dataKey: string;
  snapshotGuid: string;
  previousSnapshotGuid: string;
  sendArgs: readonly string[];
  partPlan: PartPlan;
}

/** undefined when the record describes this stream; else why it cannot be continued. */
export function whyNotResumable(record: ProgressRecord, id: StreamIdentity): string | undefined {
  if (record.dataKey !== id.dataKey) return `the record is for ${record.dataKey}, not ${id.dataKey}`;
  if (record.snapshotGuid !== id.snapshotGuid) return `the snapshot's guid changed (${record.snapshotGuid} -> ${id.snapshotGuid}): it was destroyed and re-created`;
  if (record.previousSnapshotGuid !== id.previousSnapshotGuid) {
    return `the incremental base changed (guid ${record.previousSnapshotGuid || 'none'} -> ${id.previousSnapshotGuid || 'none'})`;
  }
  if (record.sendArgs.join('\0') !== id.sendArgs.join('\0')) return `the zfs send arguments changed (${record.sendArgs.join(' ')} -> ${id.sendArgs.join(' ')})`;
  const a = record.partPlan;
  const b = id.partPlan;
  if (a.initialPartSize !== b.initialPartSize || a.growEvery !== b.growEvery || a.maxPartSize !== b.maxPartSize || a.maxParts !== b.maxParts) {
    return `the part plan changed (part size ${a.initialPartSize} -> ${b.initialPartSize}, growing every ${a.growEvery} -> ${b.growEvery} parts)`;
  }
  if (record.parts.length === 0) return 'no part had been stored yet';
  return undefined;
}

/** What the store reports for the reopened upload (ResumedUpload without the upload). */
export interface ServerView {
  parts?: readonly StoredPart[];
  writtenBytes?: number;
}

export interface ResumePlan {
  /** Every recorded part that fits the plan: the regenerated part must hash the same. */
  expected: Map<number, RecordedPart>;
  /** Recorded parts the store holds, as recorded: not uploaded again when they regenerate equal. */
  stored: Set<number>;
  /** Bytes of the stored parts. */
  storedBytes: number;
  /** Recorded parts the store does not hold as recorded (they are uploaded again), with why. */
  dropped: { n: number; why: string }[];
}

/**
 * Checks the record's parts against the plan (offset and size each part must have) and against what
 * the store holds. A part the store lacks, or holds with another size or receipt, is uploaded again;
 * a part that breaks the plan is ignored (a corrupt or hostile record cannot make us skip bytes).
 */
export function planResume(record: ProgressRecord, plan: PartPlan, server: ServerView): ResumePlan {
  const expected = new Map<number, RecordedPart>();
  const stored = new Set<number>();
  const dropped: { n: number; why: string }[] = [];
  const listed = server.parts ? new Map(server.parts.map((p) => [p.number, p])) : undefined;
  let storedBytes = 0;
  let n = 1;
  let offset = 0;
  for (const p of record.parts) {
    // Planned offset of part p.n: every part before it is full size.
    for (; n < p.n; n++) offset += partSizeFor(plan, n);
    const planned = partSizeFor(plan, p.n);
    if (p.offset !== offset || p.size > planned || (p.size === 0 && p.n !== 1)) {
      dropped.push({ n: p.n, why: `offset ${p.offset} / size ${p.size} do not fit the part plan (offset ${offset}, size ${planned})` });
      continue;
    }
    expected.set(p.n, p);
    let why: string | undefined;
    if (listed) {
      const s = listed.get(p.n);
      if (!s) why = 'the store does not hold it';
      else if (s.size !== p.size) why = `the store holds ${s.size} bytes, the record says ${p.size}`;
      else if (p.receipt && s.etag && s.etag !== p.receipt) why = `the store's ETag ${s.etag} differs from the recorded ${p.receipt}`;
    } else if (server.writtenBytes !== undefined) {
      if (p.offset + p.size > server.writtenBytes) why = `the partial file ends at ${server.writtenBytes}, before the part's end ${p.offset + p.size}`;
    } else {
      why = 'the store cannot say what it holds';
    }
    if (why) dropped.push({ n: p.n, why });
    else {
      stored.add(p.n);
      storedBytes += p.size;
    }
  }
  return { expected, stored, storedBytes, dropped };
}

/** Thrown while re-reading the stream when a part differs from the record: the backup starts over. */
export class ResumeMismatch extends SnapstreamError {
  constructor(readonly part: number, why: string) {
    super(ErrorCode.INTEGRITY_MISMATCH, `the regenerated zfs send stream differs from the interrupted one at part ${part}: ${why}`, {
      details: { part },
    });
  }
}

/**
 * Decides for one regenerated part: true = the store already holds exactly these bytes (skip the
 * upload); false = upload it. Throws ResumeMismatch when it differs from the recorded part.
 */
export function alreadyStored(plan: ResumePlan, part: ManifestPart): boolean {
  const rec = plan.expected.get(part.n);
  if (!rec) return false;
  if (rec.size !== part.size) throw new ResumeMismatch(part.n, `${part.size} bytes now, ${rec.size} recorded`);
  if (rec.xxh64 !== part.xxh64) throw new ResumeMismatch(part.n, `xxh64 ${part.xxh64} now, ${rec.xxh64} recorded`);
  return plan.stored.has(part.n);
}
