import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError, isSnapstreamError, toSnapstreamError } from '../errors.js';
import { GrpcAgentClient } from '../controller/grpc-agent-client.js';
import type { JobOutcome } from '../controller/agent-client.js';
import type {
  BackupAttempt,
  Cluster,
  ClusterBackupInfo,
  ClusterBackupRequest,
  ClusterBackupResult,
  ClusterOptions,
  ClusterRestoreRequest,
  ClusterRestoreResult,
  DeleteBackupRequest,
  NodeInventory,
  Replica,
  ReplicaRestoreResult,
  VolumeRef,
} from './cluster.js';
import { type DiscoverDeps, type DiscoveredAgent, discoverAgents } from './discover-agents.js';
import { backupCandidates, failoverHelps, locateReplicas } from './locate-replicas.js';
import { NodeLimiter } from './node-limiter.js';

/** Inventory pages fetched per agent at most (x 2000 datasets a page). */
const MAX_INVENTORY_PAGES = 50;
/** How often a node running our job is asked whether it is still there, and how long it may take. */
const LIVENESS_INTERVAL_MS = 3_000;
const LIVENESS_TIMEOUT_MS = 4_000;

export interface ClusterDeps extends DiscoverDeps {
  /** Liveness probe timing (tests shorten it). */
  livenessIntervalMs?: number;
  livenessTimeoutMs?: number;
}

/** Opens a Cluster over the discovered agents. TLS files are read once, here. */
export function openCluster(opts: ClusterOptions, deps: ClusterDeps = {}): ClusterImpl {
  return new ClusterImpl(opts, deps);
}

export class ClusterImpl implements Cluster {
  private readonly log: Logger;
  private readonly clients = new Map<string, GrpcAgentClient>();
  private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer; serverName?: string } | undefined;
  readonly limiter: NodeLimiter;
  private cached: { at: number; inv: NodeInventory[]; unreachable: string[] } | undefined;
  private closed = false;

  constructor(
    private readonly opts: ClusterOptions,
    private readonly deps: ClusterDeps,
  ) {
    this.log = opts.log.child({ component: 'cluster' });
    this.limiter = new NodeLimiter(opts.perNodeLimit ?? 1);
    if (opts.tls === 'insecure-loopback') {
      this.tls = undefined;
    } else {
      const read = (f: string, what: string) => {
        try {
          return readFileSync(f);
        } catch (e) {
          throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `cluster TLS ${what} ${f} cannot be read: ${(e as Error).message}`);
        }
      };
      this.tls = {
        ca: read(opts.tls.caFile, 'CA file'),
        cert: read(opts.tls.certFile, 'certificate file'),
        key: read(opts.tls.keyFile, 'key file'),
        ...(opts.tls.serverName ? { serverName: opts.tls.serverName } : {}),
      };
    }
  }

  /** The gRPC client of one agent (one channel per address, reused). */
  client(address: string): GrpcAgentClient {
    let c = this.clients.get(address);
    if (!c) {
      if (this.tls === undefined && !/^(127\.[0-9.]+|\[::1\]|localhost):\d+$/.test(address)) {
        throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `refusing plaintext to agent ${address}: 'insecure-loopback' only dials loopback addresses; configure mTLS`);
      }
      c = new GrpcAgentClient({
        address,
        ...(this.tls ? { tls: this.tls } : { insecure: true }),
        callTimeoutMs: this.opts.callTimeoutMs ?? 30_000,
      });
      this.clients.set(address, c);
    }
    return c;
  }

  async discover(signal?: AbortSignal): Promise<DiscoveredAgent[]> {
    return discoverAgents(this.opts.discovery, this.deps, signal);
  }

  async inventory(signal?: AbortSignal): Promise<NodeInventory[]> {
    return (await this.snapshotOfCluster(signal, true)).inv;
  }

  /** Like inventory(), but reuses one at most inventoryTtlMs old (many volumes of one run). */
  async recentInventory(signal?: AbortSignal): Promise<NodeInventory[]> {
    return (await this.snapshotOfCluster(signal, false)).inv;
  }

  /** Discovery + every agent's inventory, reused for inventoryTtlMs unless `fresh`. */
  private async snapshotOfCluster(signal: AbortSignal | undefined, fresh: boolean): Promise<{ inv: NodeInventory[]; unreachable: string[] }> {
    if (this.closed) throw new SnapstreamError(ErrorCode.UNAVAILABLE, 'the cluster client is closed');
    const ttl = this.opts.inventoryTtlMs ?? 5_000;
    if (!fresh && this.cached && Date.now() - this.cached.at < ttl) return this.cached;
    const agents = await this.discover(signal);
    const results = await Promise.all(agents.map((a) => this.agentInventory(a, signal).catch((e: unknown) => toSnapstreamError(e))));
    const inv: NodeInventory[] = [];
    const unreachable: string[] = [];
    results.forEach((r, i) => {
      if (r instanceof SnapstreamError) {
        if (signal?.aborted) throw abortedError(signal);
        unreachable.push(agents[i]!.address);
        this.log.warn({ agent: agents[i]!.address, code: r.code, err: r.message }, 'agent inventory failed; leaving it out');
      } else inv.push(r);
    });
    const nodes = new Set<string>();
    for (const n of inv) {
      if (nodes.has(n.node)) this.log.warn({ node: n.node }, 'two agents report the same node name; check --node-name / NODE_NAME');
      nodes.add(n.node);
    }
    this.cached = { at: Date.now(), inv, unreachable };
    return this.cached;
  }

  /**
   * An agent that was down (restarted pod) leaves its channel in reconnect backoff for up to two
   * minutes, failing calls at once; a fresh channel is tried once before calling it unreachable.
   */
  private async agentInventory(a: DiscoveredAgent, signal?: AbortSignal): Promise<NodeInventory> {
    try {
      return await this.agentInventoryOnce(a, signal);
    } catch (e) {
      if (signal?.aborted || !isSnapstreamError(e, ErrorCode.UNAVAILABLE)) throw e;
      this.clients.get(a.address)?.close();
      this.clients.delete(a.address);
      return this.agentInventoryOnce(a, signal);
    }
  }

  private async agentInventoryOnce(a: DiscoveredAgent, signal?: AbortSignal): Promise<NodeInventory> {
    const c = this.client(a.address);
    const out: NodeInventory = { node: '', address: a.address, pools: [], datasets: [], truncated: false };
    let token = '';
    for (let page = 0; ; page++) {
      if (page >= MAX_INVENTORY_PAGES) {
        out.truncated = true;
        this.log.warn({ agent: a.address, pages: page }, 'inventory has more pages than read; the rest is ignored');
        break;
      }
      const p = await c.inventoryPage({ maxDatasets: 2000, pageToken: token }, signal);
      if (page === 0) {
        out.node = p.node || a.node || a.address;
        out.pools = p.pools.map((x) => ({ name: x.name, health: x.health }));
        if (a.node && p.node && a.node !== p.node) this.log.warn({ agent: a.address, discovered: a.node, reported: p.node }, 'agent reports another node name than discovery');
      }
      for (const d of p.datasets) {
        out.datasets.push({ name: d.name, pool: d.name.split('/')[0]!, type: d.type, snapshots: (d.snapshots ?? []).map((s) => ({ name: s.name, guid: s.guid })) });
        if (d.snapshotsTruncated) out.truncated = true;
      }
      if (!p.nextPageToken || p.nextPageToken <= token) break;
      token = p.nextPageToken;
    }
    return out;
  }

  /** The replicas of a volume, from an inventory at most inventoryTtlMs old (failover refreshes it). */
  async locate(volume: VolumeRef, signal?: AbortSignal): Promise<Replica[]> {
    const snap = await this.snapshotOfCluster(signal, false);
    const replicas = locateReplicas(snap.inv, volume);
    if (replicas.length === 0) {
      throw new SnapstreamError(
        ErrorCode.NOT_FOUND,
        `volume ${volume.volume}: no reachable agent holds ${volume.dataset ?? (volume.poolName ? `${volume.poolName}/${volume.volume}` : `<pool>/${volume.volume}`)}` +
          ` (asked ${snap.inv.map((n) => n.node).join(', ') || 'none'}${snap.unreachable.length ? `; unreachable: ${snap.unreachable.join(', ')}` : ''})`,
        { retryable: snap.unreachable.length > 0, details: { unreachable: snap.unreachable } },
      );
    }
    return replicas;
  }

  /**
   * Runs `attempt` on the backup candidates in order until one succeeds. A failure that another
   * replica could avoid (failoverHelps) moves on; any other is thrown at once. Exposed for the
   * controller, which runs its own snapshot/cleanup sequence on the chosen replica.
   */
  async withFailover<T>(
    ref: VolumeRef,
    choose: { snapName: string; prevSnapName: string; prevSnapGuid?: string; disableIncrementalBackups: boolean },
    attempt: (r: Replica, client: GrpcAgentClient, signal?: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<{ result: T; replica: Replica; failedAttempts: BackupAttempt[] }> {
    const replicas = await this.locate(ref, signal);
    const { candidates, skipped } = backupCandidates(replicas, choose);
    const failed: BackupAttempt[] = [];
    for (const r of candidates) {
      try {
        const result = await this.limiter.run(r.node, () => attempt(r, this.client(r.address), signal), signal);
        if (failed.length) this.log.info({ volume: ref.volume, node: r.node, failedOver: failed.map((f) => f.node) }, 'backup succeeded after failover');
        return { result, replica: r, failedAttempts: failed };
      } catch (e) {
        const err = toSnapstreamError(e);
        if (signal?.aborted || !failoverHelps(err.code)) throw err;
        failed.push({ node: r.node, dataset: r.dataset, code: err.code, message: err.message });
        this.opts.onFailover?.({ volume: ref.volume, attempt: failed.at(-1)! });
        this.log.warn({ volume: ref.volume, node: r.node, code: err.code, err: err.message }, 'replica failed; trying the next one');
        this.cached = undefined;
      }
    }
    const attempts = [...skipped, ...failed];
    const onlyBase = failed.length === 0 && skipped.length > 0 && skipped.every((s) => s.code === ErrorCode.BASE_MISSING);
    throw new SnapstreamError(
      onlyBase ? ErrorCode.BASE_MISSING : ErrorCode.UNAVAILABLE,
      `volume ${ref.volume}: no replica could send the backup: ${attempts.map((a) => `${a.node} ${a.dataset}: ${a.code} ${a.message}`).join('; ') || 'no replicas'}`,
      { retryable: !onlyBase, details: { attempts } },
    );
  }

  async backupVolume(req: ClusterBackupRequest, signal?: AbortSignal): Promise<ClusterBackupResult> {
    const choose = {
      snapName: req.snapName,
      prevSnapName: req.prevSnapName,
      ...(req.prevSnapGuid ? { prevSnapGuid: req.prevSnapGuid } : {}),
      disableIncrementalBackups: req.disableIncrementalBackups,
    };
    const created: Replica[] = [];
    const { result, replica, failedAttempts } = await this.withFailover(req.volume, choose, (r, c, s) => this.backupOn(r, c, req, created, s), signal);
    // Snapshots this call took on replicas that then failed are not anyone's base: remove them, best
    // effort (a node that is still cut off keeps its snapshot; the controller's orphan sweep or the
    // next backup's cleanup gets it later).
    for (const r of created) {
      if (r.node === replica.node) continue;
      this.client(r.address)
        .destroySnapshot(r.dataset, req.snapName)
        .catch((e: unknown) => this.log.info({ node: r.node, dataset: r.dataset, err: (e as Error).message }, 'could not remove the snapshot of a failed attempt'));
    }
    return { ...result, node: replica.node, dataset: replica.dataset, failedAttempts };
  }

  /** One attempt on one replica: the snapshot (created when absent), the job, its outcome. */
  private async backupOn(r: Replica, c: GrpcAgentClient, req: ClusterBackupRequest, created: Replica[], signal?: AbortSignal) {
    const log = this.log.child({ volume: req.volume.volume, node: r.node, dataset: r.dataset, backup: req.snapName });
    if (!r.snapshots.some((s) => s.name === req.snapName)) {
      try {
        await c.createSnapshot(r.dataset, req.snapName, signal);
        created.push(r);
        log.info('snapshot created on the chosen replica');
      } catch (e) {
        if (!isSnapstreamError(e, ErrorCode.ALREADY_EXISTS)) throw e;
      }
    }
    const started = await c.startBackup(
      {
        schedule: req.schedule,
        snapName: req.snapName,
        prevSnapName: req.disableIncrementalBackups ? '' : req.prevSnapName,
        volume: req.volume.volume,
        dataset: r.dataset,
        disableIncrementalBackups: req.disableIncrementalBackups,
        location: req.location,
        ...(req.transfer ? { transfer: req.transfer } : {}),
      },
      signal,
    );
    log.info({ jobId: started.jobId, joined: started.joined }, 'backup job started');
    const outcome = await this.watchWithLiveness(c, started.jobId, r.node, signal);
    failIfNotDone(outcome, 'backup', r.node);
    const guid = (await c.listSnapshotInfos(r.dataset, signal).catch(() => [])).find((s) => s.name === req.snapName)?.guid ?? '';
    return {
      jobId: outcome.jobId,
      dataKey: outcome.backup?.dataKey ?? '',
      sizeBytes: outcome.backup?.sizeBytes ?? 0,
      previousSnapshot: outcome.backup?.previousSnapshot ?? '',
      snapshotGuid: guid,
    };
  }

  /**
   * Follows a job and probes its node meanwhile: a node cut off the network does not break the
   * stream (no RST ever arrives), so a GetJob with a short deadline every few seconds tells. Either
   * failure is UNAVAILABLE (retryable); the job, if the node still runs it, is asked to cancel, best
   * effort, so two nodes do not keep uploading the same backup.
   */
  async watchWithLiveness(c: GrpcAgentClient, jobId: string, node: string, signal?: AbortSignal): Promise<JobOutcome> {
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const every = this.deps.livenessIntervalMs ?? LIVENESS_INTERVAL_MS;
    const timeout = this.deps.livenessTimeoutMs ?? LIVENESS_TIMEOUT_MS;
    let probing = false;
    const timer = setInterval(() => {
      if (probing || ctrl.signal.aborted) return;
      probing = true;
      c.jobPhase(jobId, timeout, ctrl.signal)
        .catch((e: unknown) => {
          const err = toSnapstreamError(e);
          if (ctrl.signal.aborted) return;
          if (err.code === ErrorCode.UNAVAILABLE || err.code === ErrorCode.NOT_FOUND) {
            ctrl.abort(new SnapstreamError(ErrorCode.UNAVAILABLE, `node ${node} stopped answering while running job ${jobId}: ${err.message}`, { retryable: true }));
          }
        })
        .finally(() => (probing = false));
    }, every);
    try {
      return await c.watchJob(jobId, ctrl.signal);
    } catch (e) {
      if (signal?.aborted) throw abortedError(signal);
      const reason = ctrl.signal.reason;
      const err = ctrl.signal.aborted && reason instanceof SnapstreamError ? reason : toSnapstreamError(e);
      c.cancelJob(jobId, 2_000).catch(() => undefined);
      throw err.code === ErrorCode.ABORTED && !signal?.aborted ? new SnapstreamError(ErrorCode.UNAVAILABLE, err.message, { retryable: true }) : err;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async restoreVolume(req: ClusterRestoreRequest, signal?: AbortSignal): Promise<ClusterRestoreResult> {
    const snap = await this.snapshotOfCluster(signal, true);
    let targets = req.targets;
    if (!targets || targets.length === 0) {
      const src = locateReplicas(snap.inv, { volume: req.sourceVolume });
      if (src.length === 0) {
        throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `restore ${req.restoreName}: no targets given and no pool holds ${req.sourceVolume} to restore beside; pass targets (pools)`);
      }
      targets = src.map((r) => ({ pool: r.pool, node: r.node }));
    }
    // Resolve each target pool to exactly one node.
    const plan = targets.map((t) => {
      const holders = snap.inv.filter((n) => (t.node === undefined || n.node === t.node) && n.pools.some((p) => p.name === t.pool));
      if (holders.length !== 1) {
        throw new SnapstreamError(
          holders.length === 0 ? ErrorCode.NOT_FOUND : ErrorCode.INVALID_ARGUMENT,
          `restore ${req.restoreName}: pool ${t.pool}${t.node ? ` on node ${t.node}` : ''} is ${holders.length === 0 ? 'on no reachable agent' : `on several nodes (${holders.map((h) => h.node).join(', ')}); name the node`}`,
        );
      }
      return { node: holders[0]!.node, address: holders[0]!.address, dataset: `${t.pool}/${req.targetVolume}` };
    });
    if (new Set(plan.map((p) => p.dataset + '\0' + p.node)).size !== plan.length) {
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `restore ${req.restoreName}: the same target pool is named twice`);
    }
    const limit = Math.max(1, this.opts.restoreConcurrency ?? 3);
    const results: (ReplicaRestoreResult | SnapstreamError)[] = new Array(plan.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < plan.length; i = next++) {
        const t = plan[i]!;
        results[i] = await this.limiter.run(t.node, () => this.restoreOn(t, req, signal), signal).catch((e: unknown) => toSnapstreamError(e));
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, plan.length) }, worker));
    if (signal?.aborted) throw abortedError(signal);
    const failed = results.filter((r): r is SnapstreamError => r instanceof SnapstreamError);
    if (failed.length) {
      const done = results.filter((r): r is ReplicaRestoreResult => !(r instanceof SnapstreamError));
      // Replicas that did receive it stay (a retry joins their finished jobs and redoes only the rest).
      throw new SnapstreamError(
        failed[0]!.code,
        `restore ${req.restoreName}: ${failed.length} of ${plan.length} replicas failed: ${failed.map((f) => f.message).join('; ')}`,
        { retryable: failed.every((f) => f.retryable), details: { done: done.map((d) => ({ node: d.node, dataset: d.dataset })) } },
      );
    }
    return { replicas: results as ReplicaRestoreResult[] };
  }

  private async restoreOn(t: { node: string; address: string; dataset: string }, req: ClusterRestoreRequest, signal?: AbortSignal): Promise<ReplicaRestoreResult> {
    const c = this.client(t.address);
    const started = await c.startRestore(
      {
        restoreName: req.restoreName,
        backup: req.backup,
        volume: req.sourceVolume,
        targetDataset: t.dataset,
        restoreAllIncrementalSnapshots: req.restoreAllIncrementalSnapshots,
        ...(req.targetIp !== undefined ? { targetIp: req.targetIp } : {}),
        location: req.location,
      },
      signal,
    );
    this.log.info({ node: t.node, dataset: t.dataset, jobId: started.jobId, joined: started.joined }, 'restore job started');
    const outcome = await this.watchWithLiveness(c, started.jobId, t.node, signal);
    failIfNotDone(outcome, 'restore', t.node);
    return { node: t.node, dataset: t.dataset, jobId: outcome.jobId, snapshot: outcome.restore?.snapshot ?? '', restoredBackups: outcome.restore?.restoredBackups ?? [] };
  }

  /** Runs `f` on reachable agents in turn until one answers (any agent can reach the store). */
  private async anyAgent<T>(what: string, f: (c: GrpcAgentClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const agents = await this.discover(signal);
    let last: SnapstreamError | undefined;
    for (const a of agents) {
      try {
        return await f(this.client(a.address));
      } catch (e) {
        last = toSnapstreamError(e);
        if (signal?.aborted || last.code !== ErrorCode.UNAVAILABLE) throw last;
        this.log.warn({ agent: a.address, err: last.message }, `${what}: agent unavailable, trying another`);
      }
    }
    throw last ?? new SnapstreamError(ErrorCode.UNAVAILABLE, `${what}: no agent`, { retryable: true });
  }

  async listBackups(location: Record<string, string>, volume?: string, signal?: AbortSignal): Promise<ClusterBackupInfo[]> {
    const r = await this.anyAgent('listBackups', (c) => c.listBackups(location, volume ?? '', signal), signal);
    return r.backups.map((b) => ({
      backup: String(b.backup ?? ''),
      schedule: String(b.schedule ?? ''),
      volume: String(b.volume ?? ''),
      dataset: String(b.dataset ?? ''),
      snapshot: String(b.snapshot ?? ''),
      previousSnapshot: String(b.previousSnapshot ?? ''),
      previousBackup: String(b.previousBackup ?? ''),
      dataKey: String(b.dataKey ?? ''),
      sizeBytes: Number(b.sizeBytes ?? 0),
      node: String(b.node ?? ''),
      snapshotGuid: String(b.snapshotGuid ?? ''),
    }));
  }

  async deleteBackup(req: DeleteBackupRequest, signal?: AbortSignal): Promise<void> {
    await this.anyAgent('deleteBackup', (c) => c.deleteBackup(req.location, req.backup, req.volume, signal), signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

function failIfNotDone(outcome: JobOutcome, what: string, node: string): void {
  if (outcome.phase === 'done') return;
  const err = outcome.error;
  throw new SnapstreamError((err?.code as ErrorCode) ?? ErrorCode.INTERNAL, `${what} job ${outcome.jobId} on ${node} ended ${outcome.phase}: ${err?.message ?? 'no error given'}`, {
    retryable: outcome.phase === 'failed' && (err?.retryable ?? false),
    details: { jobId: outcome.jobId, node },
  });
}
