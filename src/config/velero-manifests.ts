import type { Node } from 'yaml';
import type { ConfigSource, MapEntry } from './config-source.js';
import { readLocationSettings, LOCATION_KEYS } from './location-settings.js';
import { k8sNameProblem } from './names.js';
import { parseBoolean } from '../parse/parse-boolean.js';
import {
  readCron,
  readKeepLast,
  readScheduleName,
  readTtl,
  readVolumeNames,
  readVolumesAnnotation,
  VELERO_DEFAULT_TTL_MS,
  type ScheduleDraft,
} from './schedule-fields.js';
import type { SnapshotLocation, VolumeRef } from './types.js';

export const VELERO_API_VERSION = 'velero.io/v1';
const PLUGINS = ['openebs.io/cstor-blockstore', 'openebs.io/zfspv-blockstore'] as const;

// Fields `kubectl get -o yaml` adds or that belong to the Kubernetes object model; accepted, unused.
const IGNORED_META = [
  'labels',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'finalizers',
  'ownerReferences',
  'selfLink',
  'generateName',
];
const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'spec'];

/**
 * snapstream's additions to a Velero Schedule, as annotations (the Kubernetes place for extensions;
 * Velero ignores them):
 *   snapstream.io/keep-last: "7"                      keep at most 7 backups per volume
 *   snapstream.io/volumes: "pvc-1=tank/pvc-1,..."     volumes to back up when no Velero picks them
 *   snapstream.io/volume-names: "pvc-*,pvc-db"        names/patterns found through the cluster (--discovery)
 */
export const ANNOTATION_KEEP_LAST = 'snapstream.io/keep-last';
export const ANNOTATION_VOLUMES = 'snapstream.io/volumes';
export const ANNOTATION_VOLUME_NAMES = 'snapstream.io/volume-names';
const SNAPSTREAM_ANNOTATIONS = [ANNOTATION_KEEP_LAST, ANNOTATION_VOLUMES, ANNOTATION_VOLUME_NAMES];

// Velero ScheduleSpec / BackupSpec fields snapstream does not use; listed so a manifest copied from
// a cluster parses, while a misspelt key still gets a "did you mean".
const IGNORED_SCHEDULE_SPEC = ['useOwnerReferencesInBackup', 'skipImmediately'];
const USED_TEMPLATE = ['ttl', 'volumeSnapshotLocations', 'includedNamespaces', 'snapshotVolumes'];
const IGNORED_TEMPLATE = [
  'metadata',
  'excludedNamespaces',
  'includedResources',
  'excludedResources',
  'includedClusterScopeResources',
  'excludedClusterScopeResources',
  'includedNamespacedResources',
  'excludedNamespacedResources',
  'labelSelector',
  'orLabelSelectors',
  'includeClusterResources',
  'hooks',
  'storageLocation',
  'defaultVolumesToRestic',
  'defaultVolumesToFsBackup',
  'orderedResources',
  'csiSnapshotTimeout',
  'itemOperationTimeout',
  'resourcePolicy',
  'resourcePolices',
  'snapshotMoveData',
  'datamover',
  'uploaderConfig',
  'volumeGroupSnapshotLabelKey',
];

interface ObjectMeta {
  name: string;
  nameNode: Node | null;
  annotations: MapEntry[];
}

function field(entries: MapEntry[], key: string): MapEntry | undefined {
  return entries.find((e) => e.key === key);
}

function readMetadata(src: ConfigSource, top: MapEntry[], at: Node, kind: string): ObjectMeta | undefined {
  const meta = field(top, 'metadata');
  if (meta === undefined) {
    src.report(at, `${kind} needs metadata.name`);
    return undefined;
  }
  const entries = src.map(meta.value, `${kind} metadata`, meta.keyNode);
  if (entries === undefined) return undefined;
  src.checkKeys(entries, `${kind} metadata`, ['name', 'namespace', 'annotations'], IGNORED_META);
  const nameEntry = field(entries, 'name');
  if (nameEntry === undefined) {
    src.report(meta.value, `${kind} needs metadata.name`);
    return undefined;
  }
  const name = src.string(nameEntry, `${kind} metadata.name`);
  if (name === undefined) return undefined;
  const ns = field(entries, 'namespace');
  if (ns !== undefined) {
    const nsName = src.string(ns, `${kind} metadata.namespace`);
    if (nsName !== undefined && k8sNameProblem(nsName, 63) !== undefined) {
      src.report(ns.value, `${kind} metadata.namespace "${nsName}" ${k8sNameProblem(nsName, 63)!}`);
    }
  }
  const ann = field(entries, 'annotations');
  const annotations = ann === undefined ? [] : (src.map(ann.value, `${kind} metadata.annotations`, ann.keyNode) ?? []);
  return { name, nameNode: nameEntry.value, annotations };
}

/** Checks apiVersion; returns false (with a problem) when it is not velero.io/v1. */
function checkApiVersion(src: ConfigSource, top: MapEntry[], at: Node, kind: string): boolean {
  const av = field(top, 'apiVersion');
  const value = av === undefined ? undefined : src.string(av, 'apiVersion');
  if (value !== VELERO_API_VERSION) {
    src.report(av?.value ?? at, `${kind} must have apiVersion: ${VELERO_API_VERSION}` + (value ? ` (got "${value}")` : ''));
    return false;
  }
  return true;
}

export function readVolumeSnapshotLocation(src: ConfigSource, top: MapEntry[], at: Node): SnapshotLocation | undefined {
  const kind = 'VolumeSnapshotLocation';
  const before = src.problems.length;
  checkApiVersion(src, top, at, kind);
  src.checkKeys(top, kind, TOP_KEYS, ['status']);
  const meta = readMetadata(src, top, at, kind);
  if (meta !== undefined) {
    const problem = k8sNameProblem(meta.name);
    if (problem !== undefined) src.report(meta.nameNode, `${kind} name "${meta.name}" ${problem}`);
  }
  const specEntry = field(top, 'spec');
  if (specEntry === undefined) {
    src.report(at, `${kind} needs a spec with provider and config`);
    return undefined;
  }
  const spec = src.map(specEntry.value, `${kind} spec`, specEntry.keyNode);
  if (spec === undefined) return undefined;
  src.checkKeys(spec, `${kind} spec`, ['provider', 'config'], ['credential']);
  const cred = field(spec, 'credential');
  if (cred !== undefined) {
    src.warn(cred.keyNode, 'spec.credential is ignored: snapstream takes credentials from the environment, a profile or the workload identity');
  }
  const providerEntry = field(spec, 'provider');
  let plugin: SnapshotLocation['plugin'];
  if (providerEntry === undefined) {
    src.report(specEntry.value, `${kind} needs spec.provider: ${PLUGINS.join(' or ')}`);
  } else {
    const p = src.string(providerEntry, 'spec.provider');
    if (p !== undefined) {
      if ((PLUGINS as readonly string[]).includes(p)) plugin = p as SnapshotLocation['plugin'];
      else src.report(providerEntry.value, `spec.provider "${p}" is not handled by snapstream; use ${PLUGINS.join(' or ')}`);
    }
  }
  const configEntry = field(spec, 'config');
  if (configEntry === undefined) {
    src.report(specEntry.value, `${kind} needs spec.config with at least provider and bucket`);
    return undefined;
  }
  const config = src.map(configEntry.value, `${kind} spec.config`, configEntry.keyNode);
  if (config === undefined) return undefined;
  src.checkKeys(config, 'spec.config', LOCATION_KEYS);
  const settings = readLocationSettings(src, config, configEntry.value!, 'spec.config', true);
  if (settings === undefined || meta === undefined || plugin === undefined || src.problems.length > before) return undefined;
  return { name: meta.name, source: src.where(at), plugin, ...settings };
}

export function readVeleroSchedule(src: ConfigSource, top: MapEntry[], at: Node): ScheduleDraft | undefined {
  const kind = 'Schedule';
  const before = src.problems.length;
  checkApiVersion(src, top, at, kind);
  src.checkKeys(top, kind, TOP_KEYS, ['status']);
  const meta = readMetadata(src, top, at, kind);
  const name = meta === undefined ? undefined : readScheduleName(src, meta.name, meta.nameNode, `${kind} name`);

  let keepLast: number | undefined;
  let volumes: VolumeRef[] = [];
  let volumeNames: string[] = [];
  for (const a of meta?.annotations ?? []) {
    if (!a.key.startsWith('snapstream.io/')) continue;
    if (!SNAPSTREAM_ANNOTATIONS.includes(a.key)) {
      src.checkKeys([a], 'metadata.annotations', SNAPSTREAM_ANNOTATIONS);
      continue;
    }
    const text = src.string(a, `annotation ${a.key}`);
    if (text === undefined) continue;
    if (a.key === ANNOTATION_KEEP_LAST) keepLast = readKeepLast(src, text, a.value, a.key);
    else if (a.key === ANNOTATION_VOLUME_NAMES) volumeNames = readVolumeNames(src, text.split(','), a.value, a.key);
    else volumes = readVolumesAnnotation(src, text, a.value, a.key);
  }

  const specEntry = field(top, 'spec');
  const spec = specEntry === undefined ? undefined : src.map(specEntry.value, `${kind} spec`, specEntry.keyNode);
  if (spec === undefined) {
    if (specEntry === undefined) src.report(at, `${kind} needs spec.schedule and spec.template`);
    return undefined;
  }
  src.checkKeys(spec, `${kind} spec`, ['schedule', 'template', 'paused'], IGNORED_SCHEDULE_SPEC);
  const cronEntry = field(spec, 'schedule');
  if (cronEntry === undefined) src.report(specEntry!.value, `${kind} needs spec.schedule, e.g. schedule: "0 1 * * *"`);
  const cron = cronEntry === undefined ? undefined : readCron(src, cronEntry, 'spec.schedule');
  let paused = false;
  const pausedEntry = field(spec, 'paused');
  if (pausedEntry !== undefined) {
    const v = pausedEntry.value as { value?: unknown } | null;
    if (typeof v?.value === 'boolean') paused = v.value;
    else src.report(pausedEntry.value ?? pausedEntry.keyNode, 'spec.paused must be true or false (unquoted: it is a boolean field)');
  }

  const templateEntry = field(spec, 'template');
  const template = templateEntry === undefined ? [] : (src.map(templateEntry.value, 'spec.template', templateEntry.keyNode) ?? []);
  src.checkKeys(template, 'spec.template', USED_TEMPLATE, IGNORED_TEMPLATE);
  let ttlMs = VELERO_DEFAULT_TTL_MS;
  const ttlEntry = field(template, 'ttl');
  if (ttlEntry !== undefined) {
    const ms = readTtl(src, ttlEntry, 'spec.template.ttl', false);
    if (ms !== undefined && ms > 0) ttlMs = ms;
  }
  let location: string | undefined;
  const vslEntry = field(template, 'volumeSnapshotLocations');
  if (vslEntry !== undefined) {
    const names = src.stringList(vslEntry, 'spec.template.volumeSnapshotLocations');
    if (names !== undefined && names.length > 1) {
      src.report(vslEntry.value, `spec.template.volumeSnapshotLocations lists ${names.length} locations; snapstream backs a schedule up to exactly one`);
    } else if (names !== undefined) {
      location = names[0];
    }
  }
  const nsEntry = field(template, 'includedNamespaces');
  const includedNamespaces = nsEntry === undefined ? [] : (src.stringList(nsEntry, 'spec.template.includedNamespaces') ?? []);
  const snapEntry = field(template, 'snapshotVolumes');
  if (snapEntry !== undefined) {
    const v = (snapEntry.value as { value?: unknown } | null)?.value;
    const on = typeof v === 'boolean' ? v : typeof v === 'string' ? src.attempt(snapEntry.value, () => parseBoolean('snapshotVolumes', v)) : undefined;
    if (on === false) {
      src.report(snapEntry.value, 'spec.template.snapshotVolumes is false: this schedule would take no volume snapshots; remove it from the snapstream config or set it to true');
    }
  }

  if (name === undefined || cron === undefined || src.problems.length > before) return undefined;
  const draft: ScheduleDraft = { name, source: src.where(at), at, cron, ttlMs, volumes, paused, includedNamespaces };
  if (volumeNames.length > 0) draft.volumeNames = volumeNames;
  if (keepLast !== undefined) draft.keepLast = keepLast;
  if (location !== undefined) draft.location = location;
  return draft;
}
