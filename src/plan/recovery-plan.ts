import { MARKER_PROPERTIES, RESTORE_PROPERTY, RESTORE_STATE_PROPERTY, SWAP_OLD_PROPERTY, classifyName } from '../model/restore-markers.js';
import type { DatasetName } from '../zfs/names.js';

export interface MarkedDataset {
  name: DatasetName;
  /** snapstream's marker properties set locally on it. */
  props: Record<string, string>;
  /** Seconds since the epoch. */
  creation: number;
}

export interface RecoveryInput {
  /** Every filesystem carrying at least one marker property (set locally). */
  marked: readonly MarkedDataset[];
  /** Every filesystem that exists under the scanned roots. */
  existing: ReadonlySet<string>;
  /** Datasets a running job uses right now: never touched. */
  live: ReadonlySet<string>;
  nowSeconds: number;
  /** A half-received restore target younger than this is kept, so a retry can continue it. */
  graceSeconds: number;
}

export type RecoveryAction =
  | { op: 'destroy'; dataset: DatasetName; reason: string }
  | { op: 'rename'; dataset: DatasetName; to: DatasetName; reason: string }
  | { op: 'clear'; dataset: DatasetName; properties: string[]; reason: string }
  | { op: 'keep'; dataset: DatasetName; reason: string };

/**
 * What the recovery pass does with the datasets snapstream left behind (pure: the caller lists, the
 * executor acts, in this order). Only datasets that carry snapstream's marker properties are ever
 * named, and a staging copy or parked old target only when its name has the exact pattern too.
 *
 * Per target T of a forced restore (staging copies S, old copies O parked by a swap):
 *  - T missing, a complete S exists: the crash hit the swap after T was parked: finish it (S -> T).
 *  - T missing, no complete S, an O exists: move O back to T (the restore is lost, the data is not).
 *  - T exists: every O is the pre-swap dataset after a finished swap: destroy it; every S is an
 *    unfinished restore (T is unchanged): destroyed once older than the grace period (before that it
 *    may be a forced restore running in another process).
 * Then a restore target with "restore-state=complete" is a finished restore whose markers were not
 * cleared yet: clear them; one with only the restore id is a half-received chain: kept while younger
 * than the grace period (a retry of the same restore continues it), destroyed after.
 */
export function planRecovery(input: RecoveryInput): RecoveryAction[] {
  const actions: RecoveryAction[] = [];
  const groups = new Map<DatasetName, { stagings: MarkedDataset[]; olds: MarkedDataset[] }>();
  const plain: MarkedDataset[] = [];
  for (const d of input.marked) {
    const c = classifyName(d.name);
    if (c.kind === 'staging' && d.props[RESTORE_PROPERTY]) group(groups, c.target).stagings.push(d);
    else if (c.kind === 'old' && d.props[SWAP_OLD_PROPERTY] === c.target) group(groups, c.target).olds.push(d);
    else if (c.kind === 'plain') plain.push(d);
    // A pattern name whose marker does not match is not provably ours: left alone, not reported.
  }
  const newestFirst = (a: MarkedDataset, b: MarkedDataset) => b.creation - a.creation || (a.name < b.name ? 1 : -1);
  const renamedInto = new Set<string>();
  for (const [target, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const members = [...g.stagings, ...g.olds];
    if (input.live.has(target) || members.some((m) => input.live.has(m.name))) {
      for (const m of members) actions.push({ op: 'keep', dataset: m.name, reason: `a running restore of ${target} uses it` });
      continue;
    }
    g.stagings.sort(newestFirst);
    g.olds.sort(newestFirst);
    let targetExists = input.existing.has(target);
    const complete = g.stagings.find((s) => s.props[RESTORE_STATE_PROPERTY] === 'complete');
    if (!targetExists && complete) {
      actions.push({ op: 'rename', dataset: complete.name, to: target, reason: `finish the interrupted swap: the complete restored copy becomes ${target}` });
      actions.push({ op: 'clear', dataset: target, properties: [...MARKER_PROPERTIES], reason: 'the restore is finished' });
      renamedInto.add(target);
      targetExists = true;
    } else if (!targetExists && g.olds.length > 0) {
      const back = g.olds.shift()!;
      actions.push({ op: 'rename', dataset: back.name, to: target, reason: `undo the interrupted swap: the old dataset becomes ${target} again` });
      actions.push({ op: 'clear', dataset: target, properties: [SWAP_OLD_PROPERTY], reason: 'the swap was undone' });
      renamedInto.add(target);
      targetExists = true;
    }
    for (const s of g.stagings) {
      if (s === complete && !input.existing.has(target)) continue; // renamed in above
      const age = input.nowSeconds - s.creation;
      if (targetExists && age < input.graceSeconds) {
        // It may be the staging copy of a forced restore running in another process (the CLI) right
        // now; a retry of the same restore replaces its own, and this pass removes it after the grace.
        actions.push({ op: 'keep', dataset: s.name, reason: `staging copy of an unfinished restore of ${target}, ${age} s old: removed after ${input.graceSeconds} s (a retry of the same restore replaces it)` });
        continue;
      }
      actions.push({ op: 'destroy', dataset: s.name, reason: `staging copy of an unfinished restore of ${target} (${target} is unchanged)` });
    }
    for (const o of g.olds) {
      if (targetExists) actions.push({ op: 'destroy', dataset: o.name, reason: `the previous ${target}, replaced by a finished restore` });
      else actions.push({ op: 'keep', dataset: o.name, reason: `${target} is missing and another old copy was chosen; inspect it by hand` });
    }
  }
  for (const d of [...plain].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (renamedInto.has(d.name)) continue; // handled above; these are the markers of the old name
    if (input.live.has(d.name)) {
      actions.push({ op: 'keep', dataset: d.name, reason: 'a running restore uses it' });
      continue;
    }
    const restoreId = d.props[RESTORE_PROPERTY];
    const state = d.props[RESTORE_STATE_PROPERTY];
    if (restoreId && state !== 'complete') {
      const age = input.nowSeconds - d.creation;
      if (age >= input.graceSeconds) {
        actions.push({ op: 'destroy', dataset: d.name, reason: `half-received restore (id ${restoreId}) older than the grace period (${input.graceSeconds} s)` });
      } else {
        actions.push({ op: 'keep', dataset: d.name, reason: `half-received restore (id ${restoreId}), ${age} s old: a retry of the same restore continues it; removed after ${input.graceSeconds} s` });
      }
      continue;
    }
    const props = MARKER_PROPERTIES.filter((p) => d.props[p] !== undefined);
    const reason = state === 'complete' ? 'a finished restore whose markers were not cleared yet' : 'a swap that was interrupted before it renamed anything';
    actions.push({ op: 'clear', dataset: d.name, properties: props, reason });
  }
  return actions;
}

function group(m: Map<DatasetName, { stagings: MarkedDataset[]; olds: MarkedDataset[] }>, target: DatasetName) {
  let g = m.get(target);
  if (!g) m.set(target, (g = { stagings: [], olds: [] }));
  return g;
}
