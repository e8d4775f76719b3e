import type { Node } from 'yaml';
import type { LocationConfig, StoreConfig } from '../location/location-config.js';
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
 * The keys of a VolumeSnapshotLocation's spec.config, as velero-plugin reads them (anchors.md), the
 * seed's `disableIncrementalBackups`, and snapstream's own `path` for provider `local`.
 */
export const LOCATION_KEYS = [
  'provider',
  'bucket',
  'region',
  'prefix',
  'backupPathPrefix',
  'profile',
  's3Url',
  's3ForcePathStyle',
  'DisableSSL',
  'insecureSkipTLSVerify',
  'caCert',
  'multiPartChunkSize',
  'restApiTimeout',
  'namespace',
  'local',
  'restoreAllIncrementalSnapshots',
  'autoSetTargetIP',
  'disableIncrementalBackups',
  'path',
  'project',
  'credentialsFile',
  'parallelUpload',
  // h15-dedup: store new backups deduplicated (docs/dedup.md).
  'dedup',
] as const;
type LocationKey = (typeof LOCATION_KEYS)[number];

const PROVIDER_KEYS: Record<'aws' | 'gcp' | 'local', readonly LocationKey[]> = {
  aws: ['bucket', 'region', 'profile', 's3Url', 's3ForcePathStyle', 'DisableSSL', 'insecureSkipTLSVerify', 'caCert'],
  // project, credentialsFile, parallelUpload: snapstream's own (credentialsFile as velero-plugin-for-gcp names it).
  gcp: ['bucket', 'project', 'credentialsFile', 'parallelUpload'],
  local: ['path'],
};
const STORE_KEYS = new Set<LocationKey>([
  'bucket', 'region', 'profile', 's3Url', 's3ForcePathStyle', 'DisableSSL', 'insecureSkipTLSVerify', 'caCert', 'path',
  'project', 'credentialsFile', 'parallelUpload',
]);

/** S3's minimum part size; the plugin refuses smaller `multiPartChunkSize` too. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's maximum part size. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
export const DEFAULT_REST_API_TIMEOUT_MS = 60_000;

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PREFIX = /^[A-Za-z0-9._-]*$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

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
    if (!(LOCATION_KEYS as readonly string[]).includes(e.key)) continue;
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
  let provider: 'aws' | 'gcp' | 'local' | undefined;
  if (providerText === undefined) {
    if (!present.has('provider')) src.report(at, `${what} needs "provider": aws, gcp or local`);
  } else if (providerText === 'aws' || providerText === 'gcp' || providerText === 'local') {
    provider = providerText;
  } else {
    src.report(node('provider'), `${what}.provider "${providerText}" is not supported; use aws (S3 and compatible), gcp or local`);
  }

  let store: StoreConfig | undefined;
  if (provider !== undefined) {
    for (const k of STORE_KEYS) {
      if (values.has(k) && !PROVIDER_KEYS[provider].includes(k)) {
        src.report(values.get(k)!.entry.keyNode, `${what}.${k} does not apply to provider ${provider}; remove it`);
      }
    }
    store = readStore(src, provider, values, present, at, what, bool);
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

function readStore(
  src: ConfigSource,
  provider: 'aws' | 'gcp' | 'local',
  values: Map<LocationKey, { text: string; entry: MapEntry }>,
  present: Set<string>,
  at: Node,
  what: string,
  bool: (k: LocationKey, dflt: boolean) => boolean,
): StoreConfig | undefined {
  const get = (k: LocationKey): string | undefined => values.get(k)?.text;
  const node = (k: LocationKey): Node | null => values.get(k)?.entry.value ?? null;
  const required = (k: LocationKey, example: string): string | undefined => {
    const v = get(k);
    if (v === undefined && !present.has(k)) src.report(at, `${what} needs "${k}" for provider ${provider} (e.g. ${k}: ${example})`);
    return v;
  };
  if (provider === 'local') {
    const path = required('path', '/var/backups/snapstream');
    if (path === undefined) return undefined;
    if (!path.startsWith('/')) {
      src.report(node('path'), `${what}.path "${path}" must be an absolute directory`);
      return undefined;
    }
    return { provider: 'local', path: path.length > 1 ? path.replace(/\/+$/, '') : path };
  }
  const bucket = required('bucket', 'my-backups');
  if (bucket !== undefined && !BUCKET.test(bucket)) {
    src.report(node('bucket'), `${what}.bucket "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, ".", "-")`);
  }
  if (provider === 'gcp') return readGcs(src, values, bucket, what, bool);

  const region = required('region', 'us-east-1; any value for MinIO or Ceph');
  const disableSsl = bool('DisableSSL', false);
  let endpoint: string | undefined;
  const s3Url = get('s3Url');
  if (s3Url !== undefined) {
    endpoint = readEndpoint(src, node('s3Url'), s3Url, disableSsl);
  } else if (disableSsl) {
    src.report(
      values.get('DisableSSL')!.entry.keyNode,
      'DisableSSL: "true" needs s3Url (plain HTTP to AWS itself is not supported); set s3Url: "http://host:port"',
    );
  }
  let caCertPem: string | undefined;
  const ca = get('caCert');
  if (ca !== undefined) caCertPem = decodeCaCert(src, node('caCert'), ca);
  const profile = get('profile');
  if (bucket === undefined || region === undefined) return undefined;
  const s3: StoreConfig = {
    provider: 'aws',
    bucket,
    region,
    forcePathStyle: bool('s3ForcePathStyle', false),
    insecureSkipTLSVerify: bool('insecureSkipTLSVerify', false),
    checksums: 'WHEN_REQUIRED',
  };
  if (endpoint !== undefined) s3.endpoint = endpoint;
  if (profile !== undefined && profile !== '') s3.profile = profile;
  if (caCertPem !== undefined) s3.caCertPem = caCertPem;
  return s3;
}

/**
 * GCS: credentials are Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload
 * identity) unless `credentialsFile` names a service-account key file (a mounted Secret).
 */
function readGcs(
  src: ConfigSource,
  values: Map<LocationKey, { text: string; entry: MapEntry }>,
  bucket: string | undefined,
  what: string,
  bool: (k: LocationKey, dflt: boolean) => boolean,
): StoreConfig | undefined {
  const parallelUpload = bool('parallelUpload', false);
  const project = values.get('project');
  if (project !== undefined && !GCP_PROJECT.test(project.text)) {
    src.report(project.entry.value, `${what}.project "${project.text}" is not a Google Cloud project id (6-30 lowercase letters, digits, "-")`);
  }
  const creds = values.get('credentialsFile');
  if (creds !== undefined && !creds.text.startsWith('/')) {
    src.report(creds.entry.value, `${what}.credentialsFile "${creds.text}" must be an absolute path to a service-account key file (e.g. a mounted Secret)`);
  }
  if (bucket === undefined) return undefined;
  const gcs: StoreConfig = { provider: 'gcp', bucket, parallelUpload };
  if (project !== undefined) gcs.projectId = project.text;
  if (creds !== undefined) gcs.keyFile = creds.text;
  return gcs;
}

/**
 * s3Url as the plugin takes it: a URL, or host[:port] whose scheme DisableSSL decides. An explicit
 * "https://" together with DisableSSL is contradictory and refused rather than guessed.
 */
function readEndpoint(src: ConfigSource, at: Node | null, raw: string, disableSsl: boolean): string | undefined {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  const text = hasScheme ? raw : `${disableSsl ? 'http' : 'https'}://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    src.report(at, `s3Url: "${redactUrl(raw)}" is not a valid URL; write e.g. "https://minio.example:9000"`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    src.report(at, `s3Url: "${redactUrl(raw)}" must use http or https`);
    return undefined;
  }
  if (disableSsl && url.protocol === 'https:') {
    src.report(at, `s3Url: "${redactUrl(raw)}" says https but DisableSSL is true; use "http://${url.host}" or drop DisableSSL`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    src.report(at, 's3Url must not contain credentials; they come from the environment, a profile or the workload identity');
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') {
    src.report(at, `s3Url: "${redactUrl(raw)}" must not have a query or fragment`);
    return undefined;
  }
  return url.pathname === '/' ? url.origin : `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function decodeCaCert(src: ConfigSource, at: Node | null, b64: string): string | undefined {
  const compact = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    src.report(at, 'caCert must be a base64-encoded PEM bundle (e.g. the output of `base64 -w0 ca.pem`)');
    return undefined;
  }
  const pem = Buffer.from(compact, 'base64').toString('utf8');
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)) {
    src.report(at, 'caCert decodes to something that is not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")');
    return undefined;
  }
  return pem;
}
