import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, isSnapstreamError } from '../errors.js';
import { openStore } from '../location/open-store.js';
import { planRestore } from '../plan/restore-plan.js';
import { scheduledBackupTime } from '../plan/scheduled-name.js';
import type { ObjectStore } from '../store/object-store.js';
import { deleteBackup, listBackups } from '../transfer/catalog.js';
import { validateBackupName } from '../model/layout.js';
import type { Manifest } from '../model/manifest.js';
import { DeferredDeletes } from './deferred-deletes.js';
import { volumeIdOf, withVolumeId } from './persistent-volume.js';
import { readPluginConfig, type PluginConfig } from './plugin-config.js';
import { chainRetirementReason, planSnapshotDelete } from './snapshot-delete-plan.js';
import { formatSnapshotId, locationFingerprint, parseSnapshotId } from './snapshot-id.js';
import { openCluster } from '../cluster/open-cluster.js';
import { ClusterVolumeBackend } from './cluster-volume-backend.js';
import { type ServiceLister, lookupTargetIp } from './target-ip-lookup.js';
import type { RestoreTargetPool, VolumeBackend } from './volume-backend.js';

/** Velero's tag naming the backup in CreateSnapshot (pkg/backup: velero.io/backup). */
export const TAG_BACKUP = 'velero.io/backup';
/** What GetVolumeInfo reports; Velero only stores it and hands it back to CreateVolumeFromSnapshot. */
export const VOLUME_TYPE = 'zfs';

export interface SnapshotterDeps {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  openBackend?: (cfg: PluginConfig, log: Logger) => VolumeBackend;
  openStore?: (cfg: PluginConfig, log: Logger) => Promise<ObjectStore>;
  /** The Kubernetes Services lookup of autoSetTargetIP (tests pass a fake). */
  listServices?: ServiceLister;
}

/** The plugin's backend: the cluster module over the discovered agents. */
export function openClusterBackend(cfg: PluginConfig, log: Logger): VolumeBackend {
  // No inventory reuse: Velero's calls for one volume follow each other within seconds, and a
  // backup must see the snapshot the previous one left (its incremental base) on the replica.
  const cluster = openCluster({ discovery: cfg.access.discovery, tls: cfg.access.tls, callTimeoutMs: cfg.access.callTimeoutMs, inventoryTtlMs: 0, log });
  return new ClusterVolumeBackend(cluster, log, cfg.transfer ? { transfer: cfg.transfer } : {});
}

interface Initialised {
  cfg: PluginConfig;
  backend: VolumeBackend;
  store: ObjectStore;
  locationId: string;
}

/**
 * One Velero VolumeSnapshotter (one plugin name, one VolumeSnapshotLocation): Velero calls Init
 * with the location's config, then the other methods. Decisions (names, full or incremental,
 * chains, what may be deleted) are made here from the manifests in the bucket; the backend moves
 * the bytes through the agents.
 */
export class VolumeSnapshotter {
  private state: Initialised | undefined;

  constructor(
    readonly pluginName: string,
    private readonly deps: SnapshotterDeps,
  ) {}

  async init(config: Record<string, string>): Promise<void> {
    const cfg = readPluginConfig(config, this.deps.env);
    const log = this.deps.log.child({ plugin: this.pluginName, location: cfg.location.describe });
    const store = await (this.deps.openStore ?? ((c, l) => openStore(c.location.config, { log: l })))(cfg, log);
    const backend = (this.deps.openBackend ?? openClusterBackend)(cfg, log);
    await this.close();
    this.state = { cfg, backend, store, locationId: locationFingerprint(cfg.location.config) };
    log.info({ discovery: cfg.access.discovery, behaviour: cfg.behaviour }, 'volume snapshotter initialised');
  }

  private ready(): Initialised {
    if (this.state === undefined) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `plugin ${this.pluginName}: Init was not called (Velero calls it with the VolumeSnapshotLocation config first)`);
    return this.state;
  }

  private async manifests(s: Initialised, signal?: AbortSignal): Promise<Manifest[]> {
    const cat = await listBackups(s.store, s.cfg.location.config.layout, { signal, log: this.deps.log });
    return cat.backups;
  }

  private deferred(s: Initialised): DeferredDeletes {
    return new DeferredDeletes(s.store, s.cfg.location.config.layout);
  }

  /**
   * Backs `volumeID` up as backup `tags["velero.io/backup"]`. A backup named `<schedule>-<stamp>`
   * belongs to a schedule (as the Go plugin decides): full when disableIncrementalBackups, else
   * incremental from the schedule's last committed backup of this volume; any other name is an
   * ad-hoc full backup. Returns `ss1:<location>:<volume>@<backup>`.
   */
  async createSnapshot(volumeID: string, _volumeAZ: string, tags: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const s = this.ready();
    const volume = checkVolumeId(volumeID);
    const backup = tags[TAG_BACKUP];
    if (backup === undefined || backup === '') {
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `CreateSnapshot needs the tag ${TAG_BACKUP} (Velero sets it to the backup's name)`);
    }
    validateBackupName(backup, `tag ${TAG_BACKUP}`);
    const schedule = scheduleOf(backup);
    const manifests = await this.manifests(s, signal);
    let fullBecause: string | undefined;
    if (schedule !== '' && !s.cfg.behaviour.disableIncrementalBackups) {
      fullBecause = chainRetirementReason(manifests, schedule, volume, await this.deferred(s).list(volume, signal));
    }
    const log = this.deps.log.child({ backup, volume, schedule });
    log.info({ disableIncrementalBackups: s.cfg.behaviour.disableIncrementalBackups }, 'CreateSnapshot');
    const r = await s.backend.backup(
      {
        volume,
        backup,
        schedule,
        disableIncrementalBackups: s.cfg.behaviour.disableIncrementalBackups,
        location: s.cfg.locationConfig,
        manifests,
        ...(fullBecause !== undefined ? { fullBecause } : {}),
      },
      signal,
    );
    log.info({ node: r.node, dataset: r.dataset, type: r.type, bytes: r.bytes, failedOver: r.failedOver ?? [] }, 'snapshot backed up');
    return formatSnapshotId({ location: s.locationId, volume, backup });
  }

  /**
   * Restores a backup (with restoreAllIncrementalSnapshots, its chain from the full base) into a
   * new volume and returns its ID. The chain is resolved from the manifests before anything is
   * received, so a gap is refused up front. The new volume keeps the backup's volume name when no
   * agent holds that volume any more (disaster recovery: the PV comes back as it was), else it is
   * `<volume>-<6 hex>`; it is received into every pool that holds the source volume (cStor
   * replicas), or into the source's pool when the volume is gone.
   */
  async createVolumeFromSnapshot(snapshotID: string, _volumeType: string, _volumeAZ: string, _iops: number, signal?: AbortSignal): Promise<string> {
    const s = this.ready();
    const id = this.parseId(s, snapshotID);
    const restoreAll = s.cfg.behaviour.restoreAllIncrementalSnapshots;
    const manifests = await this.manifests(s, signal);
    const chain = planRestore(manifests, { backup: id.backup, volume: id.volume }, restoreAll);
    const head = chain.at(-1)!;
    let targets: RestoreTargetPool[];
    let targetVolume: string;
    const holders = await s.backend.locate(id.volume, signal).catch((e: unknown) => {
      if (isSnapstreamError(e, ErrorCode.NOT_FOUND)) return [];
      throw e;
    });
    if (holders.length > 0) {
      // Every replica of the volume (cStor), or its one dataset (ZFS-LocalPV: the owner node).
      targets = holders.map((h) => ({ node: h.node, pool: h.pool }));
      targetVolume = `${id.volume}-${randomBytes(3).toString('hex')}`;
    } else {
      // Gone everywhere (disaster recovery): the pool the backup was taken from, on the node that
      // sent it when that node still has the pool (the LocalPV owner), else on any node with it.
      const pool = head.dataset.slice(0, Math.max(0, head.dataset.indexOf('/')));
      const found = await s.backend.poolsOn([pool], signal);
      const owner = found.find((t) => t.node === head.node);
      targets = owner !== undefined ? [owner] : found.slice(0, 1);
      if (targets.length === 0) {
        throw new SnapstreamError(ErrorCode.NOT_FOUND, `no agent has pool ${pool} (the pool backup ${id.backup} of volume ${id.volume} was taken from) to restore into`);
      }
      targetVolume = id.volume;
    }
    let targetIp: string | undefined;
    if (s.cfg.behaviour.autoSetTargetIP) {
      // Looked up before anything is received, so a failure leaves nothing half-restored.
      targetIp = s.cfg.targetIP ?? (await lookupTargetIp(targetVolume, s.cfg.targetIPLookup, this.deps.listServices, signal));
    }
    const log = this.deps.log.child({ backup: id.backup, volume: id.volume, targetVolume });
    log.info({ chain: chain.map((m) => m.backup), targets, targetIp }, 'CreateVolumeFromSnapshot');
    const r = await s.backend.restore(
      {
        restoreName: `velero-${targetVolume}`.slice(0, 200),
        backup: id.backup,
        sourceVolume: id.volume,
        targetVolume,
        targets,
        restoreAllIncrementalSnapshots: restoreAll,
        ...(targetIp !== undefined ? { targetIp } : {}),
        location: s.cfg.locationConfig,
      },
      signal,
    );
    log.info({ replicas: r.replicas.map((x) => `${x.node}:${x.dataset}`) }, 'volume restored');
    return targetVolume;
  }

  async getVolumeInfo(volumeID: string, _volumeAZ: string, signal?: AbortSignal): Promise<{ volumeType: string; iops: number }> {
    const s = this.ready();
    await s.backend.locate(checkVolumeId(volumeID), signal);
    return { volumeType: VOLUME_TYPE, iops: 0 };
  }

  /**
   * Deletes the backup, unless live backups' chains still need it: then its deletion is deferred
   * (recorded in the bucket) and carried out by a later DeleteSnapshot once nothing needs it. Each
   * deleted backup's pool snapshot goes too when it is still there (an incremental base).
   */
  async deleteSnapshot(snapshotID: string, signal?: AbortSignal): Promise<void> {
    const s = this.ready();
    const id = this.parseId(s, snapshotID);
    const log = this.deps.log.child({ backup: id.backup, volume: id.volume });
    const deferredStore = this.deferred(s);
    const deferred = await deferredStore.list(id.volume, signal);
    const manifests = await this.manifests(s, signal);
    if (!manifests.some((m) => m.backup === id.backup && m.volume === id.volume)) {
      log.info('DeleteSnapshot: no such backup (already deleted); nothing to do');
      await deferredStore.remove(id.volume, id.backup, signal);
      return;
    }
    const plan = planSnapshotDelete({ manifests, backup: id.backup, volume: id.volume, deferred });
    if (plan.deferred) {
      await deferredStore.add(id.volume, id.backup, plan.neededBy, signal);
      log.info({ neededBy: plan.neededBy }, 'DeleteSnapshot deferred: later backups are incremental on this one; it goes when they do');
    }
    for (const m of plan.delete) {
      await deleteBackup(s.store, m, signal);
      await deferredStore.remove(m.volume, m.backup, signal);
      const destroyed = await s.backend.deleteSnapshot(m.volume, m.snapshot, signal).catch((e: unknown) => {
        log.warn({ backup: m.backup, err: (e as Error).message }, "could not destroy the deleted backup's pool snapshot");
        return [];
      });
      log.info({ deleted: m.backup, destroyed }, 'backup deleted');
    }
  }

  getVolumeID(pv: Uint8Array): string {
    return volumeIdOf(pv);
  }

  setVolumeID(pv: Uint8Array, volumeID: string): Buffer {
    return withVolumeId(pv, volumeID);
  }

  private parseId(s: Initialised, snapshotID: string) {
    const id = parseSnapshotId(snapshotID);
    if (id.location !== s.locationId) {
      throw new SnapstreamError(
        ErrorCode.INVALID_ARGUMENT,
        `snapshot ${snapshotID} was taken to another location (${id.location}) than this VolumeSnapshotLocation's (${s.locationId}: ${s.cfg.location.describe}); ` +
          'use the VolumeSnapshotLocation the backup was made with',
      );
    }
    return id;
  }

  async close(): Promise<void> {
    const st = this.state;
    this.state = undefined;
    if (st !== undefined) {
      await st.backend.close();
      await st.store.close();
    }
  }
}

/** The schedule of a backup named `<schedule>-YYYYMMDDhhmmss`, "" when it is not such a name. */
export function scheduleOf(backup: string): string {
  const schedule = backup.slice(0, -15);
  return backup.length > 15 && scheduledBackupTime(backup, schedule) !== undefined ? schedule : '';
}

function checkVolumeId(v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(v)) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `volume ID ${JSON.stringify(v.slice(0, 300))} is not a volume name (letters, digits, "._-")`);
  }
  return v;
}
