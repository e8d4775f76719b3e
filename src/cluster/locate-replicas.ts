import { ErrorCode, SnapstreamError } from '../errors.js';
import type { BackupAttempt, NodeInventory, Replica, VolumeRef } from './cluster.js';

/** A PV name as Kubernetes allows it, or a ZFS component: it becomes a dataset's last component. */
const VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,252}$/;

const HEALTH_RANK: Record<string, number> = { ONLINE: 0, DEGRADED: 1 };

/**
 * Which datasets on which nodes are the volume's replicas, from the agents' inventories (pure).
 * - explicit `dataset`: the nodes holding exactly that dataset;
 * - LocalPV (`kind: 'localpv'` or a `poolName`): `<poolName>/<volume>`, on `ownerNode` when given;
 *   found on more than one node is ambiguous (INVALID_ARGUMENT): a LocalPV volume has one owner;
 * - cStor (default): every `<pool>/<volume>` directly under a pool, on any node.
 * Sorted healthiest pool first (ONLINE, DEGRADED, others), then by node name, so the choice is stable.
 */
export function locateReplicas(inventories: readonly NodeInventory[], ref: VolumeRef): Replica[] {
  if (!VOLUME.test(ref.volume)) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `volume name ${JSON.stringify(ref.volume)} is not a valid PV name (letters, digits, "_.:-")`);
  }
  const localpv = ref.kind === 'localpv' || (ref.kind === undefined && ref.poolName !== undefined);
  if (localpv && !ref.dataset && !ref.poolName) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `LocalPV volume ${ref.volume}: poolName is required (the ZFSVolume's spec.poolName)`);
  }
  const wanted = ref.dataset ?? (localpv ? `${ref.poolName}/${ref.volume}` : undefined);
  const out: Replica[] = [];
  for (const inv of inventories) {
    if (ref.ownerNode !== undefined && inv.node !== ref.ownerNode) continue;
    for (const d of inv.datasets) {
      const parts = d.name.split('/');
      const match = wanted !== undefined ? d.name === wanted : parts.length === 2 && parts[1] === ref.volume;
      if (!match) continue;
      const pool = parts[0]!;
      out.push({
        node: inv.node,
        address: inv.address,
        dataset: d.name,
        pool,
        poolHealth: inv.pools.find((p) => p.name === pool)?.health ?? 'UNKNOWN',
        snapshots: d.snapshots,
      });
    }
  }
  if ((localpv || ref.dataset !== undefined) && new Set(out.map((r) => r.node)).size > 1) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `volume ${ref.volume}: dataset ${wanted} exists on several nodes (${out.map((r) => r.node).join(', ')}); set ownerNode to say which one owns it`,
      { details: { nodes: out.map((r) => r.node) } },
    );
  }
  return out.sort((a, b) => rank(a) - rank(b) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

function rank(r: Replica): number {
  return HEALTH_RANK[r.poolHealth] ?? 2;
}

export interface CandidateInput {
  snapName: string;
  prevSnapName: string;
  prevSnapGuid?: string;
  disableIncrementalBackups: boolean;
}

/**
 * The replicas a backup may be sent from, in the order to try them, and why the others were left
 * out (pure). A candidate's pool is ONLINE and, for an incremental, holds the base snapshot with the
 * expected guid: a base with another guid is another snapshot (taken separately on that replica), and
 * a stream from it would not apply on top of the chain already stored. Replicas already holding
 * `snapName` come first: a retry reuses the snapshot an earlier attempt took.
 */
export function backupCandidates(replicas: readonly Replica[], input: CandidateInput): { candidates: Replica[]; skipped: BackupAttempt[] } {
  const incremental = input.prevSnapName !== '' && !input.disableIncrementalBackups;
  const candidates: Replica[] = [];
  const skipped: BackupAttempt[] = [];
  for (const r of replicas) {
    if (r.poolHealth !== 'ONLINE') {
      skipped.push({ node: r.node, dataset: r.dataset, code: ErrorCode.UNAVAILABLE, message: `pool ${r.pool} is ${r.poolHealth}, not ONLINE` });
      continue;
    }
    if (incremental) {
      const base = r.snapshots.find((s) => s.name === input.prevSnapName);
      if (!base) {
        skipped.push({ node: r.node, dataset: r.dataset, code: ErrorCode.BASE_MISSING, message: `base snapshot @${input.prevSnapName} is not on this replica` });
        continue;
      }
      if (input.prevSnapGuid && base.guid !== input.prevSnapGuid) {
        skipped.push({
          node: r.node,
          dataset: r.dataset,
          code: ErrorCode.BASE_MISSING,
          message: `base snapshot @${input.prevSnapName} has guid ${base.guid}, not ${input.prevSnapGuid} (another snapshot of that name)`,
        });
        continue;
      }
    }
    candidates.push(r);
  }
  const has = (r: Replica) => (r.snapshots.some((s) => s.name === input.snapName) ? 0 : 1);
  candidates.sort((a, b) => has(a) - has(b));
  return { candidates, skipped };
}

/**
 * Whether a failure on one replica may succeed on another. Errors about the request itself (names,
 * location, a backup that already exists, the part limit, our own cancellation) would fail the same
 * way everywhere; anything about the node (unreachable, zfs failing, store timeouts from that node,
 * a missing base there) is worth another replica.
 */
export function failoverHelps(code: string): boolean {
  return !['INVALID_ARGUMENT', 'INVALID_NAME', 'INVALID_LOCATION', 'ALREADY_EXISTS', 'PART_LIMIT', 'ABORTED', 'PERMISSION_DENIED', 'MANIFEST_INVALID'].includes(code);
}
