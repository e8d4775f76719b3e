import { ErrorCode, SnapstreamError } from '../../../src/errors.js';
import type { AgentBackupRequest, AgentClient, AgentRestoreRequest, JobOutcome, StartedJob } from '../../../src/controller/agent-client.js';
import { type Layout, dataKeyFor } from '../../../src/model/layout.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, manifestKeyFor, serializeManifest } from '../../../src/model/manifest.js';
import type { MemoryStore } from '../../helpers/memory-store.js';

interface Snap {
  name: string;
  guid: string;
}

/**
 * An agent in memory: datasets with snapshots, and backup jobs that commit a manifest (plus a data
 * object) into a MemoryStore the way the real agent commits to the bucket. `failures` makes the next
 * backups fail with a code, to test retries and failed runs.
 */
export class FakeAgent implements AgentClient {
  readonly pools = new Map<string, Snap[]>();
  readonly calls: string[] = [];
  readonly jobs = new Map<string, JobOutcome>();
  failures: { code: string; retryable: boolean }[] = [];
  private guid = 1000;
  private jobNo = 0;

  constructor(
    private readonly store: MemoryStore,
    private readonly layout: Layout = { backupPathPrefix: '', prefix: '' },
  ) {}

  addDataset(ds: string): void {
    this.pools.set(ds, []);
  }

  snapshots(ds: string): string[] {
    return (this.pools.get(ds) ?? []).map((s) => s.name);
  }

  private pool(ds: string): Snap[] {
    const p = this.pools.get(ds);
    if (!p) throw new SnapstreamError(ErrorCode.NOT_FOUND, `dataset ${ds} does not exist`);
    return p;
  }

  async createSnapshot(dataset: string, snap: string): Promise<void> {
    this.calls.push(`create ${dataset}@${snap}`);
    const p = this.pool(dataset);
    if (p.some((s) => s.name === snap)) throw new SnapstreamError(ErrorCode.ALREADY_EXISTS, `snapshot ${dataset}@${snap} already exists`);
    p.push({ name: snap, guid: String(++this.guid) });
  }

  async destroySnapshot(dataset: string, snap: string, _signal?: AbortSignal, expectedGuid?: string): Promise<boolean> {
    this.calls.push(`destroy ${dataset}@${snap}`);
    const p = this.pool(dataset);
    const i = p.findIndex((s) => s.name === snap);
    if (i < 0) return false;
    if (expectedGuid !== undefined && p[i]!.guid !== expectedGuid) {
      throw new SnapstreamError(ErrorCode.SNAPSHOT_MISMATCH, `guid of ${dataset}@${snap} is ${p[i]!.guid}, not ${expectedGuid}`);
    }
    p.splice(i, 1);
    return true;
  }

  async listSnapshots(dataset: string): Promise<string[]> {
    return this.pool(dataset).map((s) => s.name);
  }

  async startBackup(req: AgentBackupRequest): Promise<StartedJob> {
    this.calls.push(`backup ${req.dataset}@${req.snapName}${req.prevSnapName ? ` from ${req.prevSnapName}` : ''}`);
    const id = `job-${++this.jobNo}`;
    const failure = this.failures.shift();
    if (failure) {
      this.jobs.set(id, { jobId: id, phase: 'failed', error: { code: failure.code, message: `injected ${failure.code}`, retryable: failure.retryable } });
      return { jobId: id, joined: false };
    }
    const p = this.pool(req.dataset);
    const snap = p.find((s) => s.name === req.snapName);
    const prevName = req.disableIncrementalBackups ? '' : req.prevSnapName;
    const prev = prevName ? p.find((s) => s.name === prevName) : undefined;
    if (!snap || (prevName && !prev)) {
      this.jobs.set(id, { jobId: id, phase: 'invalid', error: { code: ErrorCode.NOT_FOUND, message: 'snapshot missing', retryable: false } });
      return { jobId: id, joined: false };
    }
    const dataKey = dataKeyFor(this.layout, req.snapName, req.volume);
    const body = Buffer.from(`${req.dataset}@${req.snapName}`);
    const now = new Date().toISOString();
    const m: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      backup: req.snapName,
      schedule: req.schedule,
      volume: req.volume,
      dataset: req.dataset,
      snapshot: snap.name,
      snapshotGuid: snap.guid,
      previousSnapshot: prev?.name ?? '',
      previousSnapshotGuid: prev?.guid ?? '',
      previousBackup: prev?.name ?? '',
      dataKey,
      size: body.length,
      hash: 'xxh64',
      streamHash: '0000000000000000',
      parts: [{ n: 1, offset: 0, size: body.length, xxh64: '0000000000000000' }],
      startedAt: now,
      finishedAt: now,
      agent: { name: 'snapstream', version: 'test' },
      sendArgs: [],
    };
    await this.store.put(dataKey, body);
    await this.store.put(manifestKeyFor(dataKey), serializeManifest(m));
    this.jobs.set(id, { jobId: id, phase: 'done', backup: { dataKey, sizeBytes: body.length, previousSnapshot: m.previousSnapshot } });
    return { jobId: id, joined: false };
  }

  async startRestore(_req: AgentRestoreRequest): Promise<StartedJob> {
    throw new SnapstreamError(ErrorCode.INTERNAL, 'not faked');
  }

  async watchJob(jobId: string): Promise<JobOutcome> {
    const j = this.jobs.get(jobId);
    if (!j) throw new SnapstreamError(ErrorCode.UNAVAILABLE, `no job ${jobId}`, { retryable: true });
    return j;
  }

  close(): void {}
}
