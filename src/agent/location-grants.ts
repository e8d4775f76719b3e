import path from 'node:path';
import type { LocationBehaviour } from '../config/location-settings.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { LocationConfig, StoreConfig } from '../location/location-config.js';
import { parseLocationUrl } from '../location/parse-location-url.js';
import { labelOf } from '../store/store-registry.js';

/**
 * Which locations a request may make the agent use. The agent is root on the node and holds the
 * node's cloud credentials, so a location in a request is an instruction to write a host directory
 * or to send signed requests to a host: only what the agent's own configuration grants is allowed.
 *
 *  - named locations (`locations.NAME` in the config): the request says `location: {name: NAME}` and
 *    gets exactly that location, credentials selection (profile, credentialsFile, caCert,
 *    insecureSkipTLSVerify) included;
 *  - grants (`allowedLocations`): a request may give a full location (URL or VSL config) that falls
 *    inside one: same provider, bucket, endpoint; backupPathPrefix at or under the grant's prefix;
 *    for `file://`, a directory at or under the granted root. Named locations are grants too.
 *
 * A request never chooses credentials: profile / credentialsFile / caCert / insecureSkipTLSVerify in
 * a request must be absent or equal to the matched grant's, and the grant's values are what is used.
 */
export interface LocationGrant {
  /** Where it is configured, for messages: "allowedLocations[2]" or "locations.default". */
  source: string;
  provider: StoreConfig['provider'];
  /** aws/gcp bucket. */
  bucket?: string;
  /** backupPathPrefix the request must equal or be under; "" = the whole bucket. */
  prefix: string;
  /** aws: the one endpoint (normalized); undefined = AWS itself (no custom endpoint). */
  endpoint?: string;
  /** aws: pin the region too (undefined = any well-formed region name). */
  region?: string;
  /** local: absolute directory the request's directory must equal or be under. */
  root?: string;
  /** Credential selection that comes with the grant (never from a request). */
  profile?: string;
  keyFile?: string;
  caCertPem?: string;
  insecureSkipTLSVerify: boolean;
}

export interface NamedLocation {
  name: string;
  config: LocationConfig;
  /** VSL behaviour flags when the named location was given as a VSL config map. */
  behaviour?: LocationBehaviour;
  describe: string;
}

export interface LocationGrants {
  named: Map<string, NamedLocation>;
  grants: LocationGrant[];
  /** Development opt-out: any location, credentials selection included (the old behaviour). */
  allowAny: boolean;
}

export const NO_GRANTS: LocationGrants = { named: new Map(), grants: [], allowAny: false };

const REGION = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** Lower-cased scheme and host, default port dropped, no trailing slash: one spelling per endpoint. */
export function normalizeEndpoint(e: string | undefined): string | undefined {
  if (e === undefined || e === '') return undefined;
  try {
    const u = new URL(e);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return e;
  }
}

function underPrefix(p: string, prefix: string): boolean {
  const a = p.replace(/^\/+|\/+$/g, '');
  const b = prefix.replace(/^\/+|\/+$/g, '');
  return b === '' || a === b || a.startsWith(`${b}/`);
}

function underRoot(dir: string, root: string): boolean {
  const a = path.posix.resolve(dir);
  const b = path.posix.resolve(root);
  return b === '/' || a === b || a.startsWith(`${b}/`);
}

/** The grant a configured location stands for (used for named locations and URL-form grants). */
export function grantFromLocation(cfg: LocationConfig, source: string, opts: { pinRegion?: boolean } = {}): LocationGrant {
  const s = cfg.store;
  switch (s.provider) {
    case 'local':
      return { source, provider: 'local', root: path.posix.resolve(s.path), prefix: '', insecureSkipTLSVerify: false };
    case 'aws':
      return {
        source,
        provider: 'aws',
        bucket: s.bucket,
        prefix: cfg.layout.backupPathPrefix,
        ...(s.endpoint ? { endpoint: normalizeEndpoint(s.endpoint) } : {}),
        ...(opts.pinRegion ? { region: s.region } : {}),
        ...(s.profile ? { profile: s.profile } : {}),
        ...(s.caCertPem ? { caCertPem: s.caCertPem } : {}),
        insecureSkipTLSVerify: s.insecureSkipTLSVerify,
      };
    case 'gcp':
      return { source, provider: 'gcp', bucket: s.bucket, prefix: cfg.layout.backupPathPrefix, ...(s.keyFile ? { keyFile: s.keyFile } : {}), insecureSkipTLSVerify: false };
  }
}

/** Where a location points, for a refusal message: the backend's label (bucket/dir, prefix, endpoint). No secrets. */
export function describeWhere(cfg: LocationConfig): string {
  return labelOf(cfg.store, cfg.layout.backupPathPrefix);
}

function denied(message: string, setting: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.PERMISSION_DENIED, message, { details: { setting } });
}

/** Same place (provider, bucket, endpoint, region, prefix/root)? Credentials are checked separately. */
function sameWhere(cfg: LocationConfig, g: LocationGrant): boolean {
  const s = cfg.store;
  if (s.provider !== g.provider) return false;
  if (s.provider === 'local') return g.root !== undefined && underRoot(s.path, g.root);
  if (s.bucket !== g.bucket) return false;
  if (!underPrefix(cfg.layout.backupPathPrefix, g.prefix)) return false;
  if (s.provider === 'aws') {
    if (normalizeEndpoint(s.endpoint) !== g.endpoint) return false;
    // A request without a region takes the grant's (withGrantCredentials), not the agent's environment.
    if (g.region !== undefined && s.region !== undefined && s.region !== g.region) return false;
  }
  return true;
}

/** The credential-selecting fields a request set that the grant does not carry identically. */
function credentialMismatches(cfg: LocationConfig, g: LocationGrant): string[] {
  const s = cfg.store;
  const out: string[] = [];
  if (s.provider === 'aws') {
    if (s.profile !== undefined && s.profile !== g.profile) out.push('profile');
    if (s.caCertPem !== undefined && s.caCertPem !== g.caCertPem) out.push('caCert');
    if (s.insecureSkipTLSVerify && !g.insecureSkipTLSVerify) out.push('insecureSkipTLSVerify');
  }
  if (s.provider === 'gcp' && s.keyFile !== undefined && s.keyFile !== g.keyFile) out.push('credentialsFile');
  return out;
}

/** The request's location with the grant's credential selection in place of whatever it said. */
function withGrantCredentials(cfg: LocationConfig, g: LocationGrant): LocationConfig {
  const s = cfg.store;
  if (s.provider === 'local') return { ...cfg, store: { provider: 'local', path: path.posix.resolve(s.path) } };
  if (s.provider === 'gcp') {
    const { keyFile: _drop, ...rest } = s;
    return { ...cfg, store: { ...rest, ...(g.keyFile ? { keyFile: g.keyFile } : {}) } };
  }
  const { profile: _p, caCertPem: _c, ...rest } = s;
  return {
    ...cfg,
    store: {
      ...rest,
      ...(rest.region === undefined && g.region !== undefined ? { region: g.region } : {}),
      insecureSkipTLSVerify: g.insecureSkipTLSVerify,
      ...(g.profile ? { profile: g.profile } : {}),
      ...(g.caCertPem ? { caCertPem: g.caCertPem } : {}),
    },
  };
}

/**
 * Decides whether a request may use a location, before anything is opened, read or dialled. Returns
 * the location to use (credential selection from the grant); throws PERMISSION_DENIED naming the
 * config setting that would allow it.
 */
export function authorizeLocation(cfg: LocationConfig, grants: LocationGrants, what: string): LocationConfig {
  if (grants.allowAny) return cfg;
  const s = cfg.store;
  if (s.provider === 'aws' && s.region !== undefined && !REGION.test(s.region)) {
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `${what}: region ${JSON.stringify(s.region.slice(0, 64))} is not a region name; give e.g. us-east-1`);
  }
  const all = [...grants.grants, ...[...grants.named.values()].map((n) => grantFromLocation(n.config, `locations.${n.name}`))];
  const matching = all.filter((g) => sameWhere(cfg, g));
  if (matching.length === 0) {
    const names = [...grants.named.keys()];
    throw denied(
      `${what}: location ${describeWhere(cfg)} is not granted to requests by this agent; add it to allowedLocations in the agent config ` +
        `(provider, bucket, prefix, endpoint; or a file:// root)` +
        (names.length ? `, or use a configured location by name (location: {name: ...}; configured: ${names.join(', ')})` : ''),
      'allowedLocations',
    );
  }
  const ok = matching.find((g) => credentialMismatches(cfg, g).length === 0);
  if (!ok) {
    const fields = credentialMismatches(cfg, matching[0]!);
    throw denied(
      `${what}: the request sets ${fields.join(', ')} for ${describeWhere(cfg)}; requests may not choose credentials or TLS trust. ` +
        `Leave ${fields.length > 1 ? 'them' : 'it'} out, and set ${fields.length > 1 ? 'them' : 'it'} in the agent config (${matching.map((g) => g.source).join(', ')})`,
      matching[0]!.source,
    );
  }
  return withGrantCredentials(cfg, ok);
}

/** Parses one allowedLocations entry: a location URL, or {provider, bucket, prefix, endpoint, region, root}. */
export function parseGrant(v: unknown, source: string): LocationGrant {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `config ${source} ${why}`);
  };
  if (typeof v === 'string') {
    let cfg: LocationConfig;
    try {
      cfg = parseLocationUrl(v);
    } catch (e) {
      return bad(`is not a usable location URL: ${(e as Error).message}`);
    }
    return grantFromLocation(cfg, source, { pinRegion: /[?&]region=/.test(v) });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('must be a location URL or a mapping {provider, bucket, prefix, endpoint} / {provider: local, root}');
  const o = v as Record<string, unknown>;
  const known = ['provider', 'bucket', 'prefix', 'endpoint', 'region', 'root', 'profile', 'credentialsFile', 'insecureSkipTLSVerify'];
  for (const k of Object.keys(o)) if (!known.includes(k)) bad(`has unknown key ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  const str = (k: string): string | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] !== 'string') return bad(`.${k} must be a string`);
    return o[k] as string;
  };
  const provider = str('provider');
  if (provider === 'local' || provider === 'file') {
    const root = str('root');
    if (!root || !root.startsWith('/')) return bad('.root must be an absolute directory for provider local');
    return { source, provider: 'local', root: path.posix.resolve(root), prefix: '', insecureSkipTLSVerify: false };
  }
  if (provider !== 'aws' && provider !== 'gcp' && provider !== 's3' && provider !== 'gs') return bad('.provider must be aws (s3), gcp (gs) or local');
  const bucket = str('bucket');
  if (!bucket || !/^[a-z0-9][a-z0-9.\-_]{1,221}[a-z0-9]$/.test(bucket)) return bad('.bucket must be a bucket name');
  const endpoint = str('endpoint');
  if (endpoint !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(endpoint);
    } catch {
      // refused below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) return bad('.endpoint must be an http(s) URL');
    if (u.username || u.password || u.search) return bad('.endpoint must be scheme://host[:port][/path], without credentials or a query');
  }
  const region = str('region');
  if (region !== undefined && !REGION.test(region)) bad('.region is not a region name');
  const isAws = provider === 'aws' || provider === 's3';
  if (!isAws && (endpoint || region || o.profile !== undefined || o.insecureSkipTLSVerify !== undefined)) bad('has S3-only keys for provider gcp');
  if (isAws && o.credentialsFile !== undefined) bad('.credentialsFile is for provider gcp; S3 credentials come from the environment or a profile');
  const keyFile = str('credentialsFile');
  if (keyFile !== undefined && !keyFile.startsWith('/')) bad('.credentialsFile must be an absolute path');
  const profile = str('profile');
  return {
    source,
    provider: isAws ? 'aws' : 'gcp',
    bucket,
    prefix: (str('prefix') ?? '').replace(/^\/+|\/+$/g, ''),
    ...(endpoint ? { endpoint: normalizeEndpoint(endpoint) } : {}),
    ...(region ? { region } : {}),
    ...(profile ? { profile } : {}),
    ...(keyFile ? { keyFile } : {}),
    insecureSkipTLSVerify: o.insecureSkipTLSVerify === true || o.insecureSkipTLSVerify === 'true',
  };
}
