import type { Logger } from 'pino';
import type { AgentClient } from '../controller/agent-client.js';
import type { GrpcAgentClient } from '../controller/grpc-agent-client.js';
import { ErrorCode, SnapstreamError, isSnapstreamError } from '../errors.js';
import { scheduledBackupTime } from '../plan/scheduled-name.js';
import type { Replica, TransferSettings, VolumeRef } from '../cluster/cluster.js';
import { runClusterVolumeBackup } from '../cluster/cluster-volume-backup.js';
import type { ClusterImpl } from '../cluster/open-cluster.js';
import { runAdhocBackup } from './run-adhoc-backup.js';
import type {
  RestoreTargetPool,
  VolumeBackend,
  VolumeBackupOutcome,
  VolumeBackupRequest,
  VolumeHolder,
  VolumeRestoreOutcome,
  VolumeRestoreRequest,
} from './volume-backend.js';

export interface ClusterBackendOptions {
  /** TransferOptions for every backup job the plugin starts (e.g. a rate limit). */
  transfer?: TransferSettings;
}

/**
 * The VolumeBackend over the cluster module (src/cluster): agents found by discovery, volumes found
 * in the agents' Inventory (every `<pool>/<volume>` is a replica; a ZFS-LocalPV volume has one),
 * a backup sent from one healthy replica (pool ONLINE, incremental base present with the guid its
 * manifest recorded) with failover to the next when the node dies or is cut off midway, a restore
 * written into every target replica concurrently. The node that sent a backup is recorded in its
 * manifest by the agent.
 */
export class ClusterVolumeBackend implements VolumeBackend {
  constructor(
    private readonly cluster: ClusterImpl,
    private readonly log: Logger,
    private readonly opts: ClusterBackendOptions = {},
  ) {}

  private ref(volume: string): VolumeRef {
    return { volume };
  }

  async locate(volume: string, signal?: AbortSignal): Promise<VolumeHolder[]> {
    const replicas = await this.cluster.locate(this.ref(volume), signal);
    return replicas.map((r) => ({ node: r.node, dataset: r.dataset, pool: r.pool, snapshots: r.snapshots.map((s) => s.name), poolHealth: r.poolHealth }));
  }

  /**
   * The agent of the chosen replica as the backup sequences (runVolumeBackup, runAdhocBackup) see
   * it: jobs are followed with the cluster's liveness probe (a node cut off the network sends no
   * RST; without the probe the job's stream would wait forever) and carry the plugin's transfer
   * options.
   */
  private attemptClient(r: Replica, c: GrpcAgentClient): AgentClient {
    const { cluster } = this;
    const transfer = this.opts.transfer;
    // Once the node stopped answering during its job, the attempt's cleanup calls (destroy the
    // snapshot it took) fail at once instead of each waiting out the call deadline on a node that is
    // gone: the failover must not wait a minute for them. A later run's orphan sweep removes it.
    let gone: SnapstreamError | undefined;
    const live = <T>(f: () => Promise<T>): Promise<T> => (gone ? Promise.reject(gone) : f());
    return {
      createSnapshot: (d, s, sig) => live(() => c.createSnapshot(d, s, sig)),
      destroySnapshot: (d, s, sig, g) => live(() => c.destroySnapshot(d, s, sig, g)),
      listSnapshots: (d, sig) => live(() => c.listSnapshots(d, sig)),
      startBackup: (req, sig) => live(() => c.startBackup(transfer && req.transfer === undefined ? { ...req, transfer } : req, sig)),
      startRestore: (req, sig) => live(() => c.startRestore(req, sig)),
      watchJob: (id, sig) =>
        live(() =>
          cluster.watchWithLiveness(c, id, r.node, sig).catch((e: unknown) => {
            if (isSnapstreamError(e, ErrorCode.UNAVAILABLE)) gone = e;
            throw e;
          }),
        ),
      // The channel belongs to the cluster (reused across calls).
      close: () => undefined,
    };
  }

  async backup(req: VolumeBackupRequest, signal?: AbortSignal): Promise<VolumeBackupOutcome> {
    const ref = this.ref(req.volume);
    const log = this.log.child({ volume: req.volume, backup: req.backup });
    if (req.schedule === '') {
      const { result, replica, failedAttempts } = await this.cluster.withFailover(
        ref,
        { snapName: req.backup, prevSnapName: '', disableIncrementalBackups: true },
        (r, c, s) =>
          runAdhocBackup(
            { backup: req.backup, volume: req.volume, dataset: r.dataset, location: req.location, manifests: req.manifests },
            { agent: this.attemptClient(r, c), log: log.child({ node: r.node }) },
            s,
          ),
        signal,
      );
      return { node: replica.node, dataset: replica.dataset, type: 'full', bytes: result.bytes, failedOver: failedAttempts.map((a) => a.node) };
    }
    const slot = scheduledBackupTime(req.backup, req.schedule);
    if (slot === undefined) throw new SnapstreamError(ErrorCode.INTERNAL, `backup ${req.backup} is not a backup of schedule ${req.schedule}`);
    const failedOver: string[] = [];
    let dataset = '';
    const cluster = this.cluster;
    // runClusterVolumeBackup runs the controller's sequence on each candidate through
    // cluster.withFailover; the client it hands over is wrapped here (liveness, transfer options).
    const wrapped = Object.create(cluster) as ClusterImpl;
    wrapped.withFailover = (r0, choose, attempt, sig) =>
      cluster
        .withFailover(
          r0,
          choose,
          (r, c, s) => {
            dataset = r.dataset;
            return attempt(r, this.attemptClient(r, c) as unknown as GrpcAgentClient, s);
          },
          sig,
        )
        .then((x) => {
          failedOver.push(...x.failedAttempts.map((a) => a.node));
          return x;
        });
    const r = await runClusterVolumeBackup(
      {
        ref,
        schedule: req.schedule,
        slot,
        volume: req.volume,
        disableIncrementalBackups: req.disableIncrementalBackups,
        location: req.location,
        manifests: req.manifests,
        ...(req.fullBecause !== undefined ? { fullBecause: req.fullBecause } : {}),
      },
      { cluster: wrapped, log },
      signal,
    );
    return { node: r.node ?? '', dataset, type: r.type ?? 'full', bytes: r.bytes ?? 0, failedOver };
  }

  async restore(req: VolumeRestoreRequest, signal?: AbortSignal): Promise<VolumeRestoreOutcome> {
    const r = await this.cluster.restoreVolume(
      {
        restoreName: req.restoreName,
        backup: req.backup,
        sourceVolume: req.sourceVolume,
        targetVolume: req.targetVolume,
        targets: req.targets.map((t) => ({ pool: t.pool, node: t.node })),
        restoreAllIncrementalSnapshots: req.restoreAllIncrementalSnapshots,
        ...(req.targetIp !== undefined ? { targetIp: req.targetIp } : {}),
        location: req.location,
      },
      signal,
    );
    return { replicas: r.replicas.map((x) => ({ node: x.node, dataset: x.dataset, snapshot: x.snapshot, restoredBackups: x.restoredBackups })) };
  }

  /** Nodes whose inventory reports one of `pools` ONLINE (or at least present), healthiest first. */
  async poolsOn(pools: readonly string[], signal?: AbortSignal): Promise<RestoreTargetPool[]> {
    const inv = await this.cluster.inventory(signal);
    const out: (RestoreTargetPool & { rank: number })[] = [];
    for (const n of inv) {
      for (const p of n.pools) if (pools.includes(p.name)) out.push({ node: n.node, pool: p.name, rank: p.health === 'ONLINE' ? 0 : 1 });
    }
    return out.sort((a, b) => a.rank - b.rank || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)).map(({ node, pool }) => ({ node, pool }));
  }

  async deleteSnapshot(volume: string, snap: string, signal?: AbortSignal): Promise<string[]> {
    let replicas: Replica[];
    try {
      replicas = await this.cluster.locate(this.ref(volume), signal);
    } catch (e) {
      if (isSnapstreamError(e, ErrorCode.NOT_FOUND)) return [];
      throw e;
    }
    const destroyed: string[] = [];
    // Wherever the snapshot is (the node that sent the backup; after a failover another one).
    for (const r of replicas.filter((x) => x.snapshots.some((s) => s.name === snap))) {
      if (await this.cluster.client(r.address).destroySnapshot(r.dataset, snap, signal)) destroyed.push(`${r.node}:${r.dataset}@${snap}`);
    }
    return destroyed;
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }
}
