import { isSeq, type Node } from 'yaml';
import type { ConfigSource, MapEntry } from './config-source.js';
import { LOCATION_KEYS, readLocationSettings } from './location-settings.js';
import { k8sNameProblem } from './names.js';
import { parseBoolean } from '../parse/parse-boolean.js';
import { readCron, readKeepLast, readScheduleName, readTtl, readVolumeNames, readVolumesList, type ScheduleDraft } from './schedule-fields.js';
import type { SnapshotLocation } from './types.js';

/**
 * The standalone config format, for hosts without Kubernetes. One YAML document; it may share a
 * multi-document file with Velero manifests:
 *
 *   apiVersion: snapstream.io/v1
 *   kind: SnapstreamConfig
 *   locations:                  # where backups go; same keys and meaning as a VolumeSnapshotLocation's
 *     - name: main              #   spec.config, but native YAML booleans/numbers are fine here
 *       provider: aws           # aws | gcp | local (local takes `path: /abs/dir`)
 *       bucket: backups
 *       region: us-east-1
 *       s3Url: http://127.0.0.1:7480
 *       s3ForcePathStyle: true
 *       disableIncrementalBackups: true
 *   schedules:
 *     - name: nightly           # backups are named nightly-YYYYMMDDhhmmss (UTC)
 *       schedule: "0 1 * * *"   # cron as Velero takes it: 5 fields, @daily, "@every 30s", "CRON_TZ=Europe/Paris 0 1 * * *"
 *       location: main          # optional when exactly one location is defined
 *       ttl: 720h               # optional Go duration: backups older than this expire
 *       keepLast: 7             # optional: keep at most 7 backups per volume (at least one of ttl/keepLast)
 *       paused: false           # optional
 *       volumes:                # what to back up
 *         - volume: pvc-1       #   name used in object names
 *           dataset: tank/pvc-1 #   ZFS dataset
 *       volumeNames: ["pvc-*"]  # or/and: names or patterns found through the cluster (controller --discovery)
 */
export const STANDALONE_API_VERSION = 'snapstream.io/v1';
export const STANDALONE_KIND = 'SnapstreamConfig';
const SCHEDULE_KEYS = ['name', 'schedule', 'location', 'ttl', 'keepLast', 'paused', 'volumes', 'volumeNames'];

export function readStandaloneConfig(
  src: ConfigSource,
  top: MapEntry[],
  at: Node,
): { locations: SnapshotLocation[]; schedules: ScheduleDraft[] } {
  src.checkKeys(top, STANDALONE_KIND, ['apiVersion', 'kind', 'locations', 'schedules']);
  const av = top.find((e) => e.key === 'apiVersion');
  const version = av === undefined ? undefined : src.string(av, 'apiVersion');
  if (version !== STANDALONE_API_VERSION) {
    src.report(av?.value ?? at, `${STANDALONE_KIND} must have apiVersion: ${STANDALONE_API_VERSION}` + (version ? ` (got "${version}")` : ''));
  }
  const locations: SnapshotLocation[] = [];
  for (const { item, what } of listItems(src, top, 'locations')) {
    const entries = src.map(item, what);
    if (entries === undefined) continue;
    src.checkKeys(entries, what, ['name', ...LOCATION_KEYS]);
    const name = readName(src, entries, item, what, false);
    const settings = readLocationSettings(src, entries.filter((e) => e.key !== 'name'), item, what, false);
    if (name !== undefined && settings !== undefined) locations.push({ name, source: src.where(item), ...settings });
  }
  const schedules: ScheduleDraft[] = [];
  for (const { item, what } of listItems(src, top, 'schedules')) {
    const s = readStandaloneSchedule(src, item, what);
    if (s !== undefined) schedules.push(s);
  }
  return { locations, schedules };
}

function readStandaloneSchedule(src: ConfigSource, item: Node, what: string): ScheduleDraft | undefined {
  const before = src.problems.length;
  const entries = src.map(item, what);
  if (entries === undefined) return undefined;
  src.checkKeys(entries, what, SCHEDULE_KEYS);
  const get = (k: string): MapEntry | undefined => entries.find((e) => e.key === k);
  const name = readName(src, entries, item, what, true);
  const cronEntry = get('schedule');
  if (cronEntry === undefined) src.report(item, `${what} needs "schedule", e.g. schedule: "0 1 * * *"`);
  const cron = cronEntry === undefined ? undefined : readCron(src, cronEntry, `${what}.schedule`);
  const ttlEntry = get('ttl');
  let ttlMs: number | undefined;
  if (ttlEntry !== undefined) {
    ttlMs = readTtl(src, ttlEntry, `${what}.ttl`, false);
    if (ttlMs === 0) {
      src.report(ttlEntry.value, `${what}.ttl must be more than 0; leave it out to keep backups regardless of age`);
      ttlMs = undefined;
    }
  }
  const keepEntry = get('keepLast');
  let keepLast: number | undefined;
  if (keepEntry !== undefined) {
    const text = src.string(keepEntry, `${what}.keepLast`, true);
    if (text !== undefined) keepLast = readKeepLast(src, text, keepEntry.value, `${what}.keepLast`);
  }
  if (ttlEntry === undefined && keepEntry === undefined) {
    src.report(item, `${what} needs a retention: "ttl" (e.g. 720h) and/or "keepLast" (e.g. 7)`);
  }
  const locEntry = get('location');
  const location = locEntry === undefined ? undefined : src.string(locEntry, `${what}.location`);
  let paused = false;
  const pausedEntry = get('paused');
  if (pausedEntry !== undefined) {
    const text = src.string(pausedEntry, `${what}.paused`, true);
    if (text !== undefined) paused = src.attempt(pausedEntry.value, () => parseBoolean(`${what}.paused`, text)) ?? false;
  }
  const volEntry = get('volumes');
  const namesEntry = get('volumeNames');
  let volumeNames: string[] = [];
  if (namesEntry !== undefined) {
    const seq = namesEntry.value;
    if (!isSeq(seq) || seq.items.length === 0) src.report(namesEntry.value ?? namesEntry.keyNode, `${what}.volumeNames must be a non-empty list of names or patterns, e.g. ["pvc-*"]`);
    else volumeNames = readVolumeNames(src, seq.items.map((x) => String((x as { value?: unknown }).value ?? '')), seq, `${what}.volumeNames`);
  }
  if (volEntry === undefined && namesEntry === undefined) src.report(item, `${what} needs "volumes": a list of {volume, dataset}`);
  const volumes = volEntry === undefined ? [] : readVolumesList(src, volEntry, `${what}.volumes`);
  if (name === undefined || cron === undefined || src.problems.length > before) return undefined;
  const draft: ScheduleDraft = { name, source: src.where(item), at: item, cron, volumes, paused, includedNamespaces: [] };
  if (volumeNames.length > 0) draft.volumeNames = volumeNames;
  if (ttlMs !== undefined) draft.ttlMs = ttlMs;
  if (keepLast !== undefined) draft.keepLast = keepLast;
  if (location !== undefined) draft.location = location;
  return draft;
}

function readName(src: ConfigSource, entries: MapEntry[], item: Node, what: string, schedule: boolean): string | undefined {
  const e = entries.find((x) => x.key === 'name');
  if (e === undefined) {
    src.report(item, `${what} needs a "name"`);
    return undefined;
  }
  const name = src.string(e, `${what}.name`);
  if (name === undefined) return undefined;
  if (schedule) return readScheduleName(src, name, e.value, `${what}.name`);
  const problem = k8sNameProblem(name);
  if (problem !== undefined) {
    src.report(e.value, `${what}.name "${name}" ${problem}`);
    return undefined;
  }
  return name;
}

function listItems(src: ConfigSource, top: MapEntry[], key: string): { item: Node; what: string }[] {
  const e = top.find((x) => x.key === key);
  if (e === undefined || e.value === null) return [];
  if (!isSeq(e.value)) {
    src.report(e.value, `${key} must be a list`);
    return [];
  }
  return e.value.items.map((item, i) => ({ item: item as Node, what: `${key}[${i}]` }));
}
