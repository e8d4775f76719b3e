import type { Logger } from 'pino';
import { toSnapstreamError } from '../errors.js';
import { type RecoveryAction, planRecovery } from '../plan/recovery-plan.js';
import type { DatasetName } from '../zfs/names.js';
import type { Zfs } from '../zfs/zfs.js';
import { inFlight } from './in-flight.js';
import { MARKER_PROPERTIES } from '../model/restore-markers.js';

export interface DatasetRecoveryOptions {
  /** Dataset subtrees to scan (the agent's allowed pools); each must pass zfs.checkAllowed. */
  roots: readonly DatasetName[];
  graceSeconds: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  log: Logger;
}

export interface DatasetRecoveryEntry {
  action: 'destroyed' | 'renamed' | 'cleared' | 'kept' | 'would-destroy' | 'would-rename' | 'would-clear' | 'failed';
  dataset: string;
  to?: string;
  reason: string;
}

/**
 * The ZFS half of recovery: lists snapstream's marked datasets under `roots`, plans (pure, in
 * recovery-plan.ts) and carries the plan out in order. A failed step is reported and the pass goes
 * on; it is safe to run again at any time (each step re-checks what exists).
 */
export async function recoverDatasets(zfs: Zfs, opts: DatasetRecoveryOptions): Promise<DatasetRecoveryEntry[]> {
  const marked = [];
  const existing = new Set<string>();
  for (const root of opts.roots) {
    if (!(await zfs.exists(root, undefined, opts.signal))) continue;
    for (const d of (await zfs.datasetsWithLocalProperties(root, MARKER_PROPERTIES, opts.signal)).values()) marked.push(d);
    const names = await zfs.run(['list', '-H', '-r', '-t', 'filesystem', '-o', 'name', root], opts.signal);
    for (const n of names.split('\n')) if (n) existing.add(n);
  }
  const live = new Set([...existing, ...marked.map((m) => m.name as string)].filter((n) => inFlight.has('dataset', n)));
  const actions = planRecovery({ marked, existing, live, nowSeconds: Math.floor(Date.now() / 1000), graceSeconds: opts.graceSeconds });
  const out: DatasetRecoveryEntry[] = [];
  for (const a of actions) out.push(await carryOut(zfs, a, opts));
  return out;
}

async function carryOut(zfs: Zfs, a: RecoveryAction, opts: DatasetRecoveryOptions): Promise<DatasetRecoveryEntry> {
  const base = { dataset: a.dataset, reason: a.reason, ...(a.op === 'rename' ? { to: a.to } : {}) };
  if (a.op === 'keep') return { action: 'kept', ...base };
  if (opts.dryRun) return { action: `would-${a.op}`, ...base };
  try {
    if (a.op === 'destroy') await zfs.destroyDataset(a.dataset, opts.signal);
    else if (a.op === 'rename') {
      await zfs.rename(a.dataset, a.to, opts.signal);
      await zfs.ensureMounted(a.to, opts.signal);
    }
    else {
      for (const p of a.properties) await zfs.inheritProperty(a.dataset, p, opts.signal);
      // A crash inside zfs-fuse's unmount/rename/mount of a swap leaves the new target unmounted.
      await zfs.ensureMounted(a.dataset, opts.signal);
    }
    opts.log.info({ op: a.op, dataset: a.dataset, ...(a.op === 'rename' ? { to: a.to } : {}), reason: a.reason }, 'recovery');
    return { action: a.op === 'destroy' ? 'destroyed' : a.op === 'rename' ? 'renamed' : 'cleared', ...base };
  } catch (e) {
    const err = toSnapstreamError(e);
    opts.log.warn({ op: a.op, dataset: a.dataset, err: err.message }, 'recovery step failed');
    return { action: 'failed', ...base, reason: `${a.reason}; failed: ${err.message}` };
  }
}
