import type { Logger } from 'pino';
import type { MultipartUpload, ObjectStore } from '../store/object-store.js';
import type { ManifestPart } from '../model/manifest.js';
import { type PartPlan, partSizeFor } from '../plan/part-plan.js';
import { PROGRESS_FORMAT, PROGRESS_VERSION, type ProgressRecord, type RecordedPart, progressKeyFor, serializeProgress } from './progress-record.js';

/**
 * Minimum time between record rewrites: 250 ms, growing by 1 ms per recorded part, so the record's
 * write rate in bytes stays ~constant: a 10,000-part record (~1 MB) is rewritten every 10 s (~100
 * kB/s, 0.1% of a 100 MB/s upload). `intervalMs` (SNAPSTREAM_PROGRESS_RECORD_MS, read at the edge) sets
 * a fixed interval instead.
 */
export const MIN_RECORD_INTERVAL_MS = 250;

export interface RecorderOptions {
  store: ObjectStore;
  upload: MultipartUpload;
  base: Omit<ProgressRecord, 'parts' | 'updatedAt' | 'format' | 'version' | 'uploadHandle'>;
  plan: PartPlan;
  /** Parts already stored when resuming. */
  initial?: readonly RecordedPart[];
  intervalMs?: number;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Keeps a backup's progress record up to date at bounded cost: one rewrite in flight at most, and at
 * most one per interval (a 10,000-part record is ~1 MB, so one rewrite a second stays well under 1%
 * of a 100 MB/s upload). A crash loses at most the parts of the last interval plus those in flight:
 * they are uploaded again by the retry. Only full-size parts are recorded: a short part is the end
 * of a stream, and a `zfs send` killed midway also ends its stream early, so a short part may not be
 * what a regenerated stream has at that number.
 *
 * Record writes are best effort: failing to write one costs resume progress, never the backup.
 */
export class ProgressRecorder {
  readonly key: string;
  private readonly parts = new Map<number, RecordedPart>();
  private writing: Promise<void> | undefined;
  private lastWrite = 0;
  private dirty = false;
  private readonly fixedInterval: number | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RecorderOptions) {
    this.key = progressKeyFor(o.base.dataKey);
    for (const p of o.initial ?? []) this.parts.set(p.n, p);
    this.fixedInterval = o.intervalMs;
  }

  private get interval(): number {
    return this.fixedInterval ?? MIN_RECORD_INTERVAL_MS + this.parts.size;
  }

  /** Writes the record once before the first part, so the upload it names is never unowned. */
  async start(): Promise<void> {
    await this.write(this.o.signal);
  }

  /** Parts the record names (stored earlier or by this run). */
  get partCount(): number {
    return this.parts.size;
  }

  stored(part: ManifestPart): void {
    if (this.stopped || part.size !== partSizeFor(this.o.plan, part.n)) return;
    // Records carry XXH64 digests: only plain (unkeyed) backups are resumed.
    if (!part.xxh64) return;
    const receipt = this.o.upload.receiptOf?.(part.n);
    this.parts.set(part.n, { n: part.n, offset: part.offset, size: part.size, xxh64: part.xxh64, ...(receipt ? { receipt } : {}) });
    this.dirty = true;
    this.schedule();
  }

  /** Writes now if allowed, else once the interval (or the write in flight) is over. */
  private schedule(): void {
    if (this.stopped || !this.dirty || this.timer) return;
    const wait = this.lastWrite + this.interval - Date.now();
    if (!this.writing && wait <= 0) {
      void this.write(this.o.signal).then(() => this.schedule());
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.writing) void this.writing.then(() => this.schedule());
      else this.schedule();
    }, Math.max(10, wait));
    this.timer.unref();
  }

  /**
   * The final rewrite when a backup failed but stays resumable. The job's signal may have fired
   * (SIGTERM, stall), so this runs on a short timeout of its own.
   */
  async flush(timeoutMs = 3_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.writing;
    if (this.dirty) await this.write(AbortSignal.timeout(timeoutMs));
  }

  /** The backup committed (or starts over): the record is garbage now. */
  async remove(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.writing;
    await this.o.store.delete(this.key, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => {
      this.o.log.warn({ record: this.key, err: (e as Error).message }, 'could not delete the progress record (harmless: cleanup removes it)');
    });
  }

  private write(signal: AbortSignal): Promise<void> {
    const run = async () => {
      this.dirty = false;
      this.lastWrite = Date.now();
      const parts = [...this.parts.values()].sort((a, b) => a.n - b.n);
      try {
        // Only parts acknowledged before the checkpoint are named (the local store fsyncs here).
        await this.o.upload.checkpoint?.({ signal });
        const rec: ProgressRecord = {
          format: PROGRESS_FORMAT,
          version: PROGRESS_VERSION,
          ...this.o.base,
          uploadHandle: this.o.upload.handle!,
          parts,
          updatedAt: new Date().toISOString(),
        };
        await this.o.store.put(this.key, serializeProgress(rec), { signal, contentType: 'application/json' });
      } catch (e) {
        this.dirty = true;
        this.o.log.warn({ record: this.key, err: (e as Error).message }, 'progress record not written; a retry would resend more');
      }
    };
    const p = run().finally(() => {
      if (this.writing === p) this.writing = undefined;
    });
    this.writing = p;
    return p;
  }
}
