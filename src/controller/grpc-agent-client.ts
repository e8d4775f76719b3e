import * as grpc from '@grpc/grpc-js';
import { loadAgentProto } from '../agent/agent-proto.js';
import { ERROR_CODE_HEADER, RETRYABLE_HEADER } from '../agent/grpc-status.js';
import { ErrorCode, SnapstreamError, abortedError } from '../errors.js';
import type { AgentBackupRequest, AgentClient, AgentRestoreRequest, JobOutcome, StartedJob } from './agent-client.js';

export interface GrpcAgentOptions {
  /** host:port of the agent. */
  address: string;
  /** mTLS material (PEM). All three, or `insecure` for a loopback development agent. */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer; serverName?: string };
  insecure?: boolean;
  /** Deadline of each unary call (the VSL restApiTimeout, default 60 s). */
  callTimeoutMs?: number;
}

type Callback<T> = (e: grpc.ServiceError | null, r: T) => void;
type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<any>) => grpc.ClientUnaryCall;

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** A gRPC failure as a SnapstreamError: the agent's stable code when it sent one, else from the status. */
export function fromGrpcError(e: grpc.ServiceError, what: string): SnapstreamError {
  const sent = String(e.metadata?.get(ERROR_CODE_HEADER)[0] ?? '');
  const retryHeader = String(e.metadata?.get(RETRYABLE_HEADER)[0] ?? '');
  let code: ErrorCode;
  if (KNOWN_CODES.has(sent)) code = sent as ErrorCode;
  else if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) code = ErrorCode.UNAVAILABLE;
  else if (e.code === grpc.status.CANCELLED) code = ErrorCode.ABORTED;
  else if (e.code === grpc.status.UNAUTHENTICATED || e.code === grpc.status.PERMISSION_DENIED) code = ErrorCode.PERMISSION_DENIED;
  else code = ErrorCode.INTERNAL;
  const retryable = retryHeader !== '' ? retryHeader === 'true' : code === ErrorCode.UNAVAILABLE;
  return new SnapstreamError(code, `agent ${what}: ${e.details || e.message}`, { cause: e, retryable, details: { grpcCode: e.code } });
}

const TERMINAL: Record<string, JobOutcome['phase']> = { PHASE_DONE: 'done', PHASE_FAILED: 'failed', PHASE_INVALID: 'invalid' };

/** The AgentClient over gRPC, with the .proto loaded at run time as the agent loads it. */
export class GrpcAgentClient implements AgentClient {
  private readonly client: grpc.Client & Record<string, Unary>;
  private readonly timeoutMs: number;

  constructor(readonly opts: GrpcAgentOptions) {
    const { client: Ctor } = loadAgentProto();
    let creds: grpc.ChannelCredentials;
    const channelOpts: grpc.ChannelOptions = {};
    if (opts.tls) {
      creds = grpc.credentials.createSsl(opts.tls.ca, opts.tls.key, opts.tls.cert);
      if (opts.tls.serverName) channelOpts['grpc.ssl_target_name_override'] = opts.tls.serverName;
    } else if (opts.insecure) {
      creds = grpc.credentials.createInsecure();
    } else {
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'the agent connection needs mTLS (CA, certificate and key) or an explicit insecure flag');
    }
    this.client = new Ctor(opts.address, creds, channelOpts) as unknown as grpc.Client & Record<string, Unary>;
    this.timeoutMs = opts.callTimeoutMs ?? 60_000;
  }

  private call<T>(method: string, req: unknown, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError(signal));
      const fn = this.client[method]!;
      const c = fn.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => {
        signal?.removeEventListener('abort', onAbort);
        if (e) reject(signal?.aborted ? abortedError(signal) : fromGrpcError(e, method));
        else resolve(r as T);
      });
      const onAbort = () => c.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async createSnapshot(dataset: string, snap: string, signal?: AbortSignal): Promise<void> {
    await this.call('CreateSnapshot', { dataset, snapName: snap }, signal);
  }

  async destroySnapshot(dataset: string, snap: string, signal?: AbortSignal, expectedGuid?: string): Promise<boolean> {
    const r = await this.call<{ destroyed: boolean }>('DestroySnapshot', { dataset, snapName: snap, ...(expectedGuid ? { expectedGuid } : {}) }, signal);
    return r.destroyed;
  }

  async listSnapshots(dataset: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.call<{ snapshots: { name: string }[] }>('ListSnapshots', { dataset }, signal);
    return r.snapshots.map((s) => s.name);
  }

  async startBackup(req: AgentBackupRequest, signal?: AbortSignal): Promise<StartedJob> {
    const r = await this.call<{ job: { id: string }; joined: boolean }>(
      'Backup',
      {
        backupName: req.schedule,
        volumeName: req.volume,
        snapName: req.snapName,
        prevSnapName: req.prevSnapName,
        disableIncrementalBackups: req.disableIncrementalBackups,
        dataset: req.dataset,
        location: { vsl: { config: req.location } },
        ...(req.transfer ? { transfer: req.transfer } : {}),
      },
      signal,
    );
    return { jobId: r.job.id, joined: r.joined };
  }

  async startRestore(req: AgentRestoreRequest, signal?: AbortSignal): Promise<StartedJob> {
    const r = await this.call<{ job: { id: string }; joined: boolean }>(
      'Restore',
      {
        restoreName: req.restoreName,
        volumeName: req.volume,
        targetDataset: req.targetDataset,
        backupName: req.backup,
        restoreAllIncrementalSnapshots: req.restoreAllIncrementalSnapshots,
        autoSetTargetIp: req.targetIp !== undefined,
        targetIp: req.targetIp ?? '',
        location: { vsl: { config: req.location } },
      },
      signal,
    );
    return { jobId: r.job.id, joined: r.joined };
  }

  watchJob(jobId: string, signal?: AbortSignal): Promise<JobOutcome> {
    return new Promise<JobOutcome>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError(signal));
      const watch = this.client.WatchJob as unknown as (req: unknown) => grpc.ClientReadableStream<{ job: any }>;
      const stream = watch.call(this.client, { jobId, progressIntervalMs: 5000 });
      let outcome: JobOutcome | undefined;
      const onAbort = () => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (f: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      stream.on('data', (ev: { job: any }) => {
        const j = ev.job;
        const phase = TERMINAL[j?.phase as string];
        if (phase === undefined) return;
        outcome = { jobId, phase };
        if (j.error) outcome.error = { code: j.error.code, message: j.error.message, retryable: j.error.retryable };
        if (j.backup) outcome.backup = { dataKey: j.backup.dataKey, sizeBytes: Number(j.backup.sizeBytes), previousSnapshot: j.backup.previousSnapshot };
        if (j.restore) outcome.restore = { snapshot: j.restore.snapshot, restoredBackups: j.restore.restoredBackups ?? [] };
      });
      stream.on('error', (e: grpc.ServiceError) =>
        done(() => {
          if (signal?.aborted) return reject(abortedError(signal));
          const err = fromGrpcError(e, `WatchJob ${jobId}`);
          // The stream broke (agent restarted or unreachable): the job's fate is unknown, so the
          // caller may retry; a re-issued request joins the job if it still exists.
          reject(new SnapstreamError(err.code === ErrorCode.NOT_FOUND ? ErrorCode.UNAVAILABLE : err.code, err.message, { cause: e, retryable: true }));
        }),
      );
      stream.on('end', () =>
        done(() => {
          if (outcome) resolve(outcome);
          else reject(new SnapstreamError(ErrorCode.UNAVAILABLE, `agent WatchJob ${jobId}: stream ended before the job did`, { retryable: true }));
        }),
      );
    });
  }

  // --- h14-cluster: calls the cluster module needs (src/cluster) ---

  /** The job's phase, with a short deadline: the cluster's liveness probe of a node running a job. */
  async jobPhase(jobId: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const j = await this.call<{ phase: string }>('GetJob', { jobId }, signal, timeoutMs);
    return j.phase;
  }

  /** Snapshots of a dataset with their guids, oldest first. */
  async listSnapshotInfos(dataset: string, signal?: AbortSignal): Promise<{ name: string; guid: string }[]> {
    const r = await this.call<{ snapshots: { name: string; guid: string }[] }>('ListSnapshots', { dataset }, signal);
    return r.snapshots.map((s) => ({ name: s.name, guid: s.guid }));
  }

  /** Cancels a job (best effort from the caller's point of view). */
  async cancelJob(jobId: string, timeoutMs: number): Promise<void> {
    await this.call('CancelJob', { jobId }, undefined, timeoutMs);
  }

  /** One page of the agent's Inventory (see proto InventoryRequest). */
  inventoryPage(page: { maxDatasets?: number; pageToken?: string }, signal?: AbortSignal): Promise<InventoryPage> {
    return this.call<InventoryPage>('Inventory', { maxDatasets: page.maxDatasets ?? 0, pageToken: page.pageToken ?? '' }, signal);
  }

  listBackups(location: Record<string, string>, volume: string, signal?: AbortSignal): Promise<{ backups: Record<string, unknown>[] }> {
    return this.call('ListBackups', { location: { vsl: { config: location } }, volumeName: volume }, signal);
  }

  async deleteBackup(location: Record<string, string>, backup: string, volume: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.call<{ deleted: boolean }>('DeleteBackup', { location: { vsl: { config: location } }, backupName: backup, volumeName: volume }, signal);
    return r.deleted;
  }

  close(): void {
    this.client.close();
  }
}

/** InventoryResponse as proto-loader decodes it. */
export interface InventoryPage {
  node: string;
  pools: { name: string; health: string }[];
  datasets: { name: string; type: string; guid: string; snapshots: { name: string; guid: string }[]; snapshotsTruncated: boolean }[];
  nextPageToken: string;
  allowedPools: string[];
}
