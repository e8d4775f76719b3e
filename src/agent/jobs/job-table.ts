import { ErrorCode, SnapstreamError } from '../../errors.js';
import type { JobRecord } from './job-record.js';

/**
 * The jobs an agent knows, by id and by idempotency key, kept `retentionMs` after they finish. The
 * operator retries requests, so a key that matches a queued, running or successfully finished job
 * joins it; a failed job does not absorb retries (a retry is how a transient failure is recovered).
 */
export class JobTable {
  private readonly byId = new Map<string, JobRecord>();
  private readonly byKey = new Map<string, JobRecord>();

  constructor(
    private readonly retentionMs: number,
    private readonly now: () => number,
  ) {}

  add(rec: JobRecord): void {
    this.byId.set(rec.state.id, rec);
    this.byKey.set(rec.spec.key, rec);
  }

  get(id: string): JobRecord | undefined {
    return this.byId.get(id);
  }

  all(): JobRecord[] {
    return [...this.byId.values()];
  }

  /**
   * The job a request with this key joins, if any. Throws ALREADY_EXISTS when the key belongs to a
   * different request (another fingerprint).
   */
  joinable(key: string, fingerprint: string): JobRecord | undefined {
    this.prune();
    const existing = this.byKey.get(key);
    if (!existing) return undefined;
    if (existing.fingerprint !== fingerprint) {
      throw new SnapstreamError(
        ErrorCode.ALREADY_EXISTS,
        `idempotency key ${key} belongs to job ${existing.state.id} for a different request; use a new key`,
        { details: { jobId: existing.state.id } },
      );
    }
    return existing.state.phase === 'Failed' || existing.state.phase === 'Invalid' ? undefined : existing;
  }

  /** Forgets jobs that finished more than retentionMs ago. */
  prune(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [id, rec] of this.byId) {
      if (rec.state.finishedAt && rec.state.finishedAt.getTime() < cutoff) {
        this.byId.delete(id);
        if (this.byKey.get(rec.state.key) === rec) this.byKey.delete(rec.state.key);
      }
    }
  }
}
