import type { Node } from 'yaml';
import type { LocationConfig, StoreConfig } from '../location/location-config.js';
import type { StoreBackend } from '../store/store-backend.js';
import { STORE_BACKENDS, backendFor, providerList } from '../store/store-registry.js';
import type { Layout } from '../model/layout.js';
import { validateObjectKey } from '../store/object-key.js';
import type { ConfigSource, MapEntry } from './config-source.js';
import { redactUrl } from '../redact.js';
import { parseBoolean } from '../parse/parse-boolean.js';
import { parseGoDuration } from '../parse/parse-duration.js';
import { formatBytes, parseQuantityBytes } from '../parse/parse-quantity.js';

/** What the operator does with a location, beyond where its bytes live. */
export interface LocationBehaviour {
  /** The seed's flag: every scheduled backup is a full stream (default false). */
  disableIncrementalBackups: boolean;
  /** Restore replays the chain base..target (true) or exactly the named backup (false, default). */
  restoreAllIncrementalSnapshots: boolean;
  /** After a restore, set the volume's target IP property (cStor; default false). */
  autoSetTargetIP: boolean;
  /** Deadline for one call to the agent/operator (VSL `restApiTimeout`, default 60s). */
  restApiTimeoutMs: number;
  /** Namespace where OpenEBS runs (VSL `namespace`, default "openebs"). */
  namespace: string;
  /** Local snapshot only: nothing is uploaded (VSL `local`, default false). */
  local: boolean;
}

/**
 * The keys of a VolumeSnapshotLocation's spec.config, as velero-plugin reads them (anchors.md), and
 * the seed's `disableIncrementalBackups`: the ones every provider takes, then each registered
 * backend's own (StoreBackend.vslKeys: bucket, region, s3Url, ... for aws; path for local).
 */
const COMMON_KEYS = [
  'provider',
  'prefix',
  'backupPathPrefix',
  'multiPartChunkSize',
  'restApiTimeout',
  'namespace',
  'local',
  'restoreAllIncrementalSnapshots',
  'autoSetTargetIP',
  'disableIncrementalBackups',
  // h15-dedup: store new backups deduplicated (docs/dedup.md).
  'dedup',
] as const;
/** Keys some backend reads: the store's part of a location, refused for the other providers. */
const STORE_KEYS = new Set<string>(STORE_BACKENDS.flatMap((b) => b.vslKeys));
export const LOCATION_KEYS: readonly string[] = [...COMMON_KEYS, ...STORE_KEYS];
type LocationKey = string;

/** S3's minimum part size; the plugin refuses smaller `multiPartChunkSize` too. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's maximum part size. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
export const DEFAULT_REST_API_TIMEOUT_MS = 60_000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PREFIX = /^[A-Za-z0-9._-]*$/;

/**
 * Turns location key/value entries into a LocationConfig and behaviour flags. `strings` is true for
 * VolumeSnapshotLocations: their config is a map[string]string in Kubernetes, which rejects a bare
 * `true` or `5`, so accepting one here would let a file pass snapstream and fail `kubectl apply`.
 * The standalone format takes native YAML booleans and numbers as well.
 */
export function readLocationSettings(
  src: ConfigSource,
  all: MapEntry[],
  at: Node,
  what: string,
  strings: boolean,
): { location: LocationConfig; behaviour: LocationBehaviour; vslConfig: Record<string, string> } | undefined {
  const before = src.problems.length;
  const values = new Map<LocationKey, { text: string; entry: MapEntry }>();
  // Keys present at all, valid or not: a key with a bad value is reported once, not also as missing.
  const present = new Set(all.map((e) => e.key));
  for (const e of all) {
    if (!LOCATION_KEYS.includes(e.key)) continue;
    const v = e.value as { value?: unknown } | null;
    if (strings && v !== null && (typeof v.value === 'boolean' || typeof v.value === 'number')) {
      src.report(
        e.value,
        `${what}.${e.key} must be a quoted string: a VolumeSnapshotLocation's config is a string map and Kubernetes rejects a bare ${String(v.value)}; write ${e.key}: "${String(v.value)}"`,
      );
      continue;
    }
    const text = src.string(e, `${what}.${e.key}`, !strings);
    if (text !== undefined) values.set(e.key as LocationKey, { text, entry: e });
  }
  const get = (k: LocationKey): string | undefined => values.get(k)?.text;
  const node = (k: LocationKey): Node | null => values.get(k)?.entry.value ?? null;
  const bool = (k: LocationKey, dflt: boolean): boolean => {
    const v = values.get(k);
    if (v === undefined) return dflt;
    return src.attempt(v.entry.value, () => parseBoolean(k, v.text)) ?? dflt;
  };

  const providerText = get('provider');
  let backend: StoreBackend<StoreConfig> | undefined;
  if (providerText === undefined) {
    if (!present.has('provider')) src.report(at, `${what} needs "provider": ${STORE_BACKENDS.map((b) => b.provider).join(', ').replace(/, ([^,]*)$/, ' or $1')}`);
  } else {
    backend = backendFor(providerText) as StoreBackend<StoreConfig> | undefined;
    if (!backend) src.report(node('provider'), `${what}.provider "${providerText}" is not supported; use ${providerList()}`);
  }

  let store: StoreConfig | undefined;
  if (backend !== undefined) {
    for (const k of STORE_KEYS) {
      if (values.has(k) && !backend.vslKeys.includes(k)) {
        src.report(values.get(k)!.entry.keyNode, `${what}.${k} does not apply to provider ${backend.provider}; remove it`);
      }
    }
    const b = backend;
    store = b.readVsl({
      what,
      get,
      required: (k, example) => {
        const v = get(k);
        if (v === undefined && !present.has(k)) src.report(at, `${what} needs "${k}" for provider ${b.provider} (e.g. ${k}: ${example})`);
        return v;
      },
      bool,
      report: (k, message) => src.report((k !== undefined ? node(k) : null) ?? at, message),
      reportKey: (k, message) => src.report(values.get(k)?.entry.keyNode ?? at, message),
    });
  }

  const layout: Layout = { backupPathPrefix: '', prefix: '' };
  const bpp = get('backupPathPrefix');
  if (bpp !== undefined) {
    const trimmed = bpp.replace(/^\/+|\/+$/g, '');
    if (trimmed !== '') src.attempt(node('backupPathPrefix'), () => validateObjectKey(trimmed, `${what}.backupPathPrefix`));
    layout.backupPathPrefix = trimmed;
  }
  const prefix = get('prefix');
  if (prefix !== undefined) {
    if (PREFIX.test(prefix)) layout.prefix = prefix;
    else src.report(node('prefix'), `${what}.prefix "${prefix}" may only contain letters, digits and "._-" (it becomes part of an object name)`);
  }

  let partSize: number | undefined;
  const chunk = values.get('multiPartChunkSize');
  if (chunk !== undefined) {
    partSize = src.attempt(chunk.entry.value, () => parseQuantityBytes('multiPartChunkSize', chunk.text));
    if (partSize !== undefined && (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE)) {
      src.report(
        chunk.entry.value,
        `multiPartChunkSize: "${chunk.text}" is ${formatBytes(partSize)}; S3 parts must be between 5Mi and 5Gi (e.g. "64Mi")`,
      );
      partSize = undefined;
    }
  }

  let restApiTimeoutMs = DEFAULT_REST_API_TIMEOUT_MS;
  const timeout = values.get('restApiTimeout');
  if (timeout !== undefined) {
    const ms = src.attempt(timeout.entry.value, () => parseGoDuration('restApiTimeout', timeout.text));
    if (ms === 0) src.report(timeout.entry.value, 'restApiTimeout: must be more than 0 (e.g. "60s")');
    else if (ms !== undefined) restApiTimeoutMs = ms;
  }

  const namespace = get('namespace') ?? 'openebs';
  if (!DNS_LABEL.test(namespace)) {
    src.report(node('namespace'), `${what}.namespace "${namespace}" is not a valid Kubernetes namespace name (lowercase letters, digits, "-")`);
  }

  const behaviour: LocationBehaviour = {
    disableIncrementalBackups: bool('disableIncrementalBackups', false),
    restoreAllIncrementalSnapshots: bool('restoreAllIncrementalSnapshots', false),
    autoSetTargetIP: bool('autoSetTargetIP', false),
    restApiTimeoutMs,
    namespace,
    local: bool('local', false),
  };
  if (src.problems.length > before || store === undefined) return undefined;
  const location: LocationConfig = { store, layout };
  if (partSize !== undefined) location.partSize = partSize;
  if (bool('dedup', false)) location.dedup = true;
  // The settings as a VolumeSnapshotLocation config map (string values, as written): what the
  // controller hands the agent, which reads it with this very function.
  const vslConfig: Record<string, string> = {};
  for (const [k, v] of values) vslConfig[k] = v.text;
  return { location, behaviour, vslConfig };
}
