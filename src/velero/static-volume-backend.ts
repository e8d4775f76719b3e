import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AgentClient } from '../controller/agent-client.js';
import { GrpcAgentClient } from '../controller/grpc-agent-client.js';
import { runVolumeBackup } from '../controller/run-volume-backup.js';
import { ErrorCode, SnapstreamError, isSnapstreamError, toSnapstreamError } from '../errors.js';
import { scheduledBackupTime } from '../plan/scheduled-name.js';
import type { AgentAccess } from './plugin-config.js';
import { runAdhocBackup } from './run-adhoc-backup.js';
import type { VolumeBackend, VolumeBackupOutcome, VolumeBackupRequest, VolumeHolder, VolumeRestoreOutcome, VolumeRestoreRequest } from './volume-backend.js';

/** Errors that say "not here" when probing an agent for a dataset. */
const ABSENT = new Set<string>([ErrorCode.NOT_FOUND, ErrorCode.PERMISSION_DENIED, ErrorCode.INVALID_NAME]);

/**
 * The VolumeBackend over a fixed list of agents and pools from the plugin config: volume V is the
 * dataset <pool>/V on whichever agent has it (every holder is a replica). It knows nothing of pool
 * health; a backup fails over to the next holder only when an agent is unreachable.
 */
export class StaticVolumeBackend implements VolumeBackend {
  private readonly clients: { address: string; client: AgentClient }[];

  constructor(
    private readonly access: AgentAccess,
    private readonly log: Logger,
    factory?: (address: string) => AgentClient,
  ) {
    const make = factory ?? ((address: string) => this.grpcClient(address));
    this.clients = access.agents.map((address) => ({ address, client: make(address) }));
  }

  private grpcClient(address: string): AgentClient {
    const tls = this.access.tls;
    if (tls === 'insecure-loopback') return new GrpcAgentClient({ address, insecure: true, callTimeoutMs: this.access.callTimeoutMs });
    const read = (f: string, what: string): Buffer => {
      try {
        return readFileSync(f);
      } catch (e) {
        throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `cannot read the agent ${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    };
    return new GrpcAgentClient({
      address,
      tls: { ca: read(tls.caFile, 'CA'), cert: read(tls.certFile, 'client certificate'), key: read(tls.keyFile, 'client key'), ...(tls.serverName ? { serverName: tls.serverName } : {}) },
      callTimeoutMs: this.access.callTimeoutMs,
    });
  }

  private client(node: string): AgentClient {
    const c = this.clients.find((x) => x.address === node);
    if (c === undefined) throw new SnapstreamError(ErrorCode.INTERNAL, `no agent ${node} in the plugin config`);
    return c.client;
  }

  async locate(volume: string, signal?: AbortSignal): Promise<VolumeHolder[]> {
    const holders: VolumeHolder[] = [];
    const unreachable: string[] = [];
    await Promise.all(
      this.clients.map(async ({ address, client }) => {
        for (const pool of this.access.pools) {
          const dataset = `${pool}/${volume}`;
          try {
            const snapshots = await client.listSnapshots(dataset, signal);
            holders.push({ node: address, dataset, pool, snapshots });
          } catch (e) {
            const err = toSnapstreamError(e);
            if (ABSENT.has(err.code)) continue;
            if (err.code === ErrorCode.UNAVAILABLE) {
              unreachable.push(address);
              return;
            }
            throw err;
          }
        }
      }),
    );
    // Config order, so the choice is stable across calls.
    holders.sort((a, b) => this.order(a) - this.order(b));
    if (holders.length === 0) {
      throw new SnapstreamError(
        ErrorCode.NOT_FOUND,
        `volume ${volume} was not found on any agent (looked for ${this.access.pools.map((p) => `${p}/${volume}`).join(', ')} on ${this.access.agents.join(', ')}` +
          `${unreachable.length > 0 ? `; unreachable: ${unreachable.join(', ')}` : ''})`,
        { retryable: unreachable.length > 0, details: { volume, unreachable } },
      );
    }
    return holders;
  }

  private order(h: VolumeHolder): number {
    return this.access.agents.indexOf(h.node) * 1000 + this.access.pools.indexOf(h.pool);
  }

  async backup(req: VolumeBackupRequest, signal?: AbortSignal): Promise<VolumeBackupOutcome> {
    const holders = await this.locate(req.volume, signal);
    let last: SnapstreamError | undefined;
    for (const h of holders) {
      const agent = this.client(h.node);
      const log = this.log.child({ node: h.node, dataset: h.dataset });
      try {
        if (req.schedule === '') {
          const r = await runAdhocBackup({ backup: req.backup, volume: req.volume, dataset: h.dataset, location: req.location, manifests: req.manifests }, { agent, log }, signal);
          return { node: h.node, dataset: h.dataset, type: 'full', bytes: r.bytes };
        }
        const slot = scheduledBackupTime(req.backup, req.schedule)!;
        const r = await runVolumeBackup(
          {
            schedule: req.schedule,
            slot,
            volume: req.volume,
            dataset: h.dataset,
            disableIncrementalBackups: req.disableIncrementalBackups,
            location: req.location,
            manifests: req.manifests,
            ...(req.fullBecause !== undefined ? { fullBecause: req.fullBecause } : {}),
          },
          { agent, log },
          signal,
        );
        return { node: h.node, dataset: h.dataset, type: r.type ?? 'full', bytes: r.bytes ?? 0 };
      } catch (e) {
        last = toSnapstreamError(e);
        // Only "that node went away" moves to another replica; anything else would fail there too.
        if (last.code !== ErrorCode.UNAVAILABLE) throw last;
        log.warn({ err: last.message }, 'agent unreachable during the backup; trying the next replica');
      }
    }
    throw last!;
  }

  async restore(req: VolumeRestoreRequest, signal?: AbortSignal): Promise<VolumeRestoreOutcome> {
    const replicas = await Promise.all(
      req.targets.map(async (t) => {
        const agent = this.client(t.node);
        const dataset = `${t.pool}/${req.targetVolume}`;
        const started = await agent.startRestore(
          {
            restoreName: req.restoreName,
            backup: req.backup,
            volume: req.sourceVolume,
            targetDataset: dataset,
            restoreAllIncrementalSnapshots: req.restoreAllIncrementalSnapshots,
            ...(req.targetIp !== undefined ? { targetIp: req.targetIp } : {}),
            location: req.location,
          },
          signal,
        );
        const outcome = await agent.watchJob(started.jobId, signal);
        if (outcome.phase !== 'done') {
          const err = outcome.error;
          throw new SnapstreamError((err?.code as ErrorCode) ?? ErrorCode.INTERNAL, `restore into ${dataset} on ${t.node}: ${err?.message ?? `job ended ${outcome.phase}`}`, {
            retryable: err?.retryable ?? false,
            details: { jobId: outcome.jobId, node: t.node, dataset },
          });
        }
        return { node: t.node, dataset, snapshot: outcome.restore?.snapshot ?? '', restoredBackups: outcome.restore?.restoredBackups ?? [] };
      }),
    );
    return { replicas };
  }

  /** Pools able to receive a new volume: those of `pools` that exist on an agent. */
  async poolsOn(pools: readonly string[], signal?: AbortSignal): Promise<{ node: string; pool: string }[]> {
    const out: { node: string; pool: string }[] = [];
    await Promise.all(
      this.clients.map(async ({ address, client }) => {
        for (const pool of pools) {
          try {
            await client.listSnapshots(pool, signal);
            out.push({ node: address, pool });
          } catch (e) {
            if (!isSnapstreamError(e) || !(ABSENT.has(e.code) || e.code === ErrorCode.UNAVAILABLE)) throw e;
          }
        }
      }),
    );
    return out.sort((a, b) => this.access.agents.indexOf(a.node) - this.access.agents.indexOf(b.node));
  }

  async deleteSnapshot(volume: string, snap: string, signal?: AbortSignal): Promise<string[]> {
    let holders: VolumeHolder[];
    try {
      holders = await this.locate(volume, signal);
    } catch (e) {
      if (isSnapstreamError(e, ErrorCode.NOT_FOUND)) return [];
      throw e;
    }
    const destroyed: string[] = [];
    for (const h of holders.filter((x) => x.snapshots.includes(snap))) {
      if (await this.client(h.node).destroySnapshot(h.dataset, snap, signal)) destroyed.push(`${h.node}:${h.dataset}@${snap}`);
    }
    return destroyed;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.client.close();
  }
}
