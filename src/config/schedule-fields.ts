import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { parseDatasetName } from '../zfs/names.js';
import type { ConfigSource, MapEntry } from './config-source.js';
import { k8sNameProblem } from './names.js';
import { parseCron, type CronSpec } from './parse-cron.js';
import { parseGoDuration } from '../parse/parse-duration.js';
import type { ScheduleConfig, VolumeRef } from './types.js';

/** A schedule before its location is resolved against the locations of all files. */
export interface ScheduleDraft extends Omit<ScheduleConfig, 'location'> {
  location?: string;
  at: Node;
}

/** Velero's default backup TTL, applied when a Schedule has none (or "0s"), as Velero does. */
export const VELERO_DEFAULT_TTL_MS = 720 * 3_600_000;

export function readScheduleName(src: ConfigSource, name: string, at: Node | null, what: string): string | undefined {
  const problem = k8sNameProblem(name, 253 - 15);
  if (problem !== undefined) {
    src.report(at, `${what} "${name}" ${problem}` + (name.length > 238 ? ' (backup names add "-YYYYMMDDhhmmss")' : ''));
    return undefined;
  }
  return name;
}

export function readCron(src: ConfigSource, e: MapEntry, what: string): CronSpec | undefined {
  const text = src.string(e, what);
  if (text === undefined) return undefined;
  return src.attempt(e.value, () => parseCron(what, text));
}

/** A TTL as a Go duration; 0 returns 0 and the caller decides what it means. */
export function readTtl(src: ConfigSource, e: MapEntry, what: string, coerce: boolean): number | undefined {
  const text = src.string(e, what, coerce);
  if (text === undefined) return undefined;
  return src.attempt(e.value, () => parseGoDuration(what, text));
}

export function readKeepLast(src: ConfigSource, text: string, at: Node | null, what: string): number | undefined {
  if (!/^[0-9]{1,6}$/.test(text.trim()) || Number(text) < 1) {
    src.report(at, `${what}: ${JSON.stringify(text)} must be a whole number of backups, at least 1 (e.g. 7)`);
    return undefined;
  }
  return Number(text);
}

/** Checks one volume name/dataset pair; duplicates are checked by the caller. */
export function readVolumeRef(src: ConfigSource, volume: string, dataset: string, at: Node | null, what: string): VolumeRef | undefined {
  const problem = k8sNameProblem(volume);
  if (problem !== undefined) {
    src.report(at, `${what}: volume "${volume}" ${problem}`);
    return undefined;
  }
  const ds = src.attempt(at, () => parseDatasetName(dataset));
  return ds === undefined ? undefined : { volume, dataset: ds };
}

/** `snapstream.io/volumes: "pvc-1=tank/pvc-1, pvc-2=tank/pvc-2"` (annotation values are strings). */
export function readVolumesAnnotation(src: ConfigSource, text: string, at: Node | null, what: string): VolumeRef[] {
  const out: VolumeRef[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      src.report(at, `${what}: "${item}" must be volume=dataset, e.g. "pvc-1=tank/pvc-1"`);
      continue;
    }
    const ref = readVolumeRef(src, item.slice(0, eq).trim(), item.slice(eq + 1).trim(), at, what);
    if (ref !== undefined) out.push(ref);
  }
  checkDuplicateVolumes(src, out, at, what);
  return out;
}

/** `volumes: [{volume: pvc-1, dataset: tank/pvc-1}, ...]` in the standalone format. */
export function readVolumesList(src: ConfigSource, e: MapEntry, what: string): VolumeRef[] {
  if (!isSeq(e.value) || e.value.items.length === 0) {
    src.report(e.value ?? e.keyNode, `${what} must be a non-empty list of {volume, dataset}`);
    return [];
  }
  const out: VolumeRef[] = [];
  e.value.items.forEach((item, i) => {
    const itemWhat = `${what}[${i}]`;
    const fields = src.map(item as Node, itemWhat, e.value);
    if (fields === undefined) return;
    src.checkKeys(fields, itemWhat, ['volume', 'dataset']);
    const volume = fields.find((f) => f.key === 'volume');
    const dataset = fields.find((f) => f.key === 'dataset');
    if (volume === undefined || dataset === undefined) {
      src.report(item as Node, `${itemWhat} needs both "volume" (a name, e.g. pvc-1) and "dataset" (e.g. tank/pvc-1)`);
      return;
    }
    const v = src.string(volume, `${itemWhat}.volume`);
    const d = src.string(dataset, `${itemWhat}.dataset`);
    if (v === undefined || d === undefined) return;
    const ref = readVolumeRef(src, v, d, isMap(item) || isScalar(item) ? (item as Node) : null, itemWhat);
    if (ref !== undefined) out.push(ref);
  });
  checkDuplicateVolumes(src, out, e.value, what);
  return out;
}

function checkDuplicateVolumes(src: ConfigSource, refs: VolumeRef[], at: Node | null, what: string): void {
  const seenVolume = new Set<string>();
  const seenDataset = new Set<string>();
  for (const r of refs) {
    if (seenVolume.has(r.volume)) src.report(at, `${what}: volume "${r.volume}" is listed twice`);
    if (seenDataset.has(r.dataset)) src.report(at, `${what}: dataset "${r.dataset}" is listed twice`);
    seenVolume.add(r.volume);
    seenDataset.add(r.dataset);
  }
}

/**
 * h14-cluster: `snapstream.io/volume-names: "pvc-*, pvc-db"` / standalone `volumeNames: [...]`: PV
 * names or glob patterns (wildcards * and ?) the controller resolves through the cluster inventory.
 */
export function readVolumeNames(src: ConfigSource, items: readonly string[], at: Node | null, what: string): string[] {
  const out: string[] = [];
  for (const item of items.map((s) => s.trim()).filter((s) => s !== '')) {
    if (!/^[A-Za-z0-9_.:*?-]{1,253}$/.test(item)) {
      src.report(at, `${what}: "${item}" is not a volume name or pattern (letters, digits, "_.:-", wildcards * and ?), e.g. "pvc-*"`);
      continue;
    }
    if (out.includes(item)) src.report(at, `${what}: "${item}" is listed twice`);
    else out.push(item);
  }
  return out;
}
