import * as grpc from '@grpc/grpc-js';
import { type AgentClient as AgentStub, type AgentUnaryMethod, type ClientRequest, type ClientResponse, loadAgentProto } from '../wire/agent-proto.js';
import type { JobEvent__Output } from '../wire/generated/snapstream/v1/JobEvent.js';
import { fromGrpcError } from '../wire/grpc-status.js';
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


/** A JobResponse without its job is an agent fault, not a job to wait for. */
function startedJob(r: ClientResponse<'Backup'>): StartedJob {
  if (!r.job) throw new SnapstreamError(ErrorCode.INTERNAL, 'agent answered without the job it started');
  return { jobId: r.job.id, joined: r.joined };
}

const TERMINAL: Record<string, JobOutcome['phase']> = { PHASE_DONE: 'done', PHASE_FAILED: 'failed', PHASE_INVALID: 'invalid' };

/** The AgentClient over gRPC, with the .proto loaded at run time as the agent loads it. */
export class GrpcAgentClient implements AgentClient {
  private readonly client: AgentStub;
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
    this.client = new Ctor(opts.address, creds, channelOpts);
    this.timeoutMs = opts.callTimeoutMs ?? 60_000;
  }

  /** One unary call, typed by the service generated from agent.proto (method, request and response). */
  private call<K extends AgentUnaryMethod>(method: K, req: ClientRequest<K>, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<ClientResponse<K>> {
    return new Promise<ClientResponse<K>>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError(signal));
      // The overloads of the generated client do not survive indexing by a generic K; this is its
      // (argument, metadata, options, callback) form.
      const fn = this.client[method] as unknown as (
        req: ClientRequest<K>, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: ClientResponse<K>) => void,
      ) => grpc.ClientUnaryCall;
      const c = fn.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => {
        signal?.removeEventListener('abort', onAbort);
        if (e) reject(signal?.aborted ? abortedError(signal) : fromGrpcError(e, method));
        else resolve(r!);
      });
      const onAbort = () => c.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async createSnapshot(dataset: string, snap: string, signal?: AbortSignal): Promise<void> {
    await this.call('CreateSnapshot', { dataset, snapName: snap }, signal);
  }

  async destroySnapshot(dataset: string, snap: string, signal?: AbortSignal, expectedGuid?: string): Promise<boolean> {
    const r = await this.call('DestroySnapshot', { dataset, snapName: snap, ...(expectedGuid ? { expectedGuid } : {}) }, signal);
    return r.destroyed;
  }

  async listSnapshots(dataset: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.call('ListSnapshots', { dataset }, signal);
    return r.snapshots.map((s) => s.name);
  }

  async startBackup(req: AgentBackupRequest, signal?: AbortSignal): Promise<StartedJob> {
    const r = await this.call(
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
    return startedJob(r);
  }

  async startRestore(req: AgentRestoreRequest, signal?: AbortSignal): Promise<StartedJob> {
    const r = await this.call(
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
    return startedJob(r);
  }

  watchJob(jobId: string, signal?: AbortSignal): Promise<JobOutcome> {
    return new Promise<JobOutcome>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError(signal));
      const stream = this.client.WatchJob({ jobId, progressIntervalMs: 5000 });
      let outcome: JobOutcome | undefined;
      const onAbort = () => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (f: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      stream.on('data', (ev: JobEvent__Output) => {
        const j = ev.job;
        const phase = j ? TERMINAL[j.phase] : undefined;
        if (!j || phase === undefined) return;
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
    const j = await this.call('GetJob', { jobId }, signal, timeoutMs);
    return j.phase;
  }

  /** Snapshots of a dataset with their guids, oldest first. */
  async listSnapshotInfos(dataset: string, signal?: AbortSignal): Promise<{ name: string; guid: string }[]> {
    const r = await this.call('ListSnapshots', { dataset }, signal);
    return r.snapshots.map((s) => ({ name: s.name, guid: s.guid }));
  }

  /** Cancels a job (best effort from the caller's point of view). */
  async cancelJob(jobId: string, timeoutMs: number): Promise<void> {
    await this.call('CancelJob', { jobId }, undefined, timeoutMs);
  }

  /** One page of the agent's Inventory (see proto InventoryRequest). */
  inventoryPage(page: { maxDatasets?: number; pageToken?: string }, signal?: AbortSignal): Promise<InventoryPage> {
    return this.call('Inventory', { maxDatasets: page.maxDatasets ?? 0, pageToken: page.pageToken ?? '' }, signal);
  }

  listBackups(location: Record<string, string>, volume: string, signal?: AbortSignal): Promise<ClientResponse<'ListBackups'>> {
    return this.call('ListBackups', { location: { vsl: { config: location } }, volumeName: volume }, signal);
  }

  async deleteBackup(location: Record<string, string>, backup: string, volume: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.call('DeleteBackup', { location: { vsl: { config: location } }, backupName: backup, volumeName: volume }, signal);
    return r.deleted;
  }

  close(): void {
    this.client.close();
  }
}

/** InventoryResponse as proto-loader decodes it. */
export type InventoryPage = ClientResponse<'Inventory'>;
