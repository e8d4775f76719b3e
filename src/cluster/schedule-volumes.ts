import { ErrorCode, SnapstreamError } from '../errors.js';
import type { NodeInventory, VolumeRef } from './cluster.js';

/** A PV name or a glob over PV names: letters, digits, "_.:-" and the wildcards "*" and "?". */
const PATTERN = /^[A-Za-z0-9_.:*?-]{1,253}$/;

export function checkVolumePattern(p: string, what: string): string {
  if (!PATTERN.test(p)) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what}: ${JSON.stringify(p)} is not a volume name or pattern (letters, digits, "_.:-", wildcards * and ?)`);
  }
  return p;
}

function globToRegExp(p: string): RegExp {
  return new RegExp('^' + p.replace(/[.]/g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/**
 * The volumes a schedule backs up (pure): explicit `volume=dataset` overrides as given, plus every
 * volume name the cluster holds (datasets directly under a pool, `<pool>/<pv>`, on any node) that
 * matches one of `patterns`. An explicit volume wins over a pattern match of the same name. Sorted
 * by name, so runs and logs are stable.
 */
export function scheduleVolumes(
  inventories: readonly NodeInventory[],
  patterns: readonly string[],
  explicit: readonly { volume: string; dataset: string }[],
): VolumeRef[] {
  const res = patterns.map(globToRegExp);
  const out = new Map<string, VolumeRef>();
  for (const inv of inventories) {
    for (const d of inv.datasets) {
      const parts = d.name.split('/');
      if (parts.length !== 2) continue;
      const name = parts[1]!;
      if (res.some((r) => r.test(name)) && !out.has(name)) out.set(name, { volume: name });
    }
  }
  for (const e of explicit) out.set(e.volume, { volume: e.volume, dataset: e.dataset });
  return [...out.values()].sort((a, b) => (a.volume < b.volume ? -1 : a.volume > b.volume ? 1 : 0));
}
