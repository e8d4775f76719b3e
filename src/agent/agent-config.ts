import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { parseQuantityBytes } from '../parse/parse-quantity.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { type ClientGrant, parseClientGrant } from './client-authz.js';
import { type LocationGrants, type NamedLocation, parseGrant } from './location-grants.js';
import { parseRequestLocation } from './request-location.js';

/**
 * The agent's configuration, validated. Comes from an optional YAML file (--config) with command-line
 * flags layered on top; every field has a default that suits one DaemonSet pod per pool node.
 */
export interface AgentConfig {
  /** gRPC listen address "host:port" (port 0 = any free port, for tests). */
  listen: string;
  /** HTTP /metrics and /healthz listen address; "" disables it. */
  metricsListen: string;
  /**
   * Plaintext gRPC listener serving only grpc.health.v1.Health, for kubelet `grpc:` probes (which
   * cannot present client certificates or speak TLS). Exposes serving status only; "" disables it.
   */
  healthListen: string;
  tls?: { caFile: string; certFile: string; keyFile: string };
  /**
   * Backup keys (files mounted from Secrets; docs/security.md). Only this config names them: no
   * request can make the agent read another file, use another key, or skip authentication.
   */
  keys?: AgentKeysConfig;
  /** Serve without TLS; only allowed on a loopback listen address. */
  insecurePlaintext: boolean;
  /** Pools (or dataset prefixes) requests may name; empty = refuse to start (unless allowAnyPool). */
  allowedPools: string[];
  /** Explicit opt-out for development: allow every pool. */
  allowAnyPool: boolean;
  zfsBinary: string;
  /** The zpool command (Inventory reads pool health with it). */
  zpoolBinary: string;
  maxConcurrentJobs: number;
  memoryBudgetBytes: number;
  maxQueuedJobs: number;
  jobRetentionSeconds: number;
  stallTimeoutSeconds: number;
  shutdownGraceSeconds: number;
  /** Initial part size when a request gives none and its location sets none; 0 = the core's choice. */
  defaultPartSizeBytes: number;
  defaultConcurrency: number;
  nodeName: string;
  logLevel: string;
  /**
   * Locations requests may use: `locations` (named, used as {name: NAME}), `allowedLocations`
   * (grants a request's own URL/VSL location must fall inside) and `allowAnyLocation` (development
   * opt-out). See location-grants.ts and docs/security.md.
   */
  locationGrants: LocationGrants;
  /** Client certificate identities and their roles (client-authz.ts); required with TLS. */
  clients: ClientGrant[];
  /** Development opt-out: every certificate from the CA (with clientAuth) is an operator. */
  allowAnyClient: boolean;
  /** Plaintext health port: connections accepted at once; more are closed on arrival. */
  healthMaxConnections: number;
  /** Plaintext health port: concurrent HTTP/2 streams per connection (Check or Watch calls). */
  healthMaxStreamsPerConnection: number;
  /**
   * Recovery (h13-recovery): leftovers younger than this are kept (unfinished uploads a retried
   * backup may resume, half-received restores a retried restore continues).
   */
  recoveryGraceSeconds: number;
  /** Run the ZFS recovery pass over the allowed pools at start-up. */
  recoverOnStart: boolean;
}

export interface AgentKeysConfig {
  signingKeyFile?: string;
  trustedKeyFiles: string[];
  encryptionKeyFile?: string;
  /** With trusted keys set, still restore/verify backups not signed by one of them (migration only). */
  allowUnauthenticated: boolean;
}

export const DEFAULT_CONFIG: AgentConfig = {
  listen: '0.0.0.0:9443',
  metricsListen: '0.0.0.0:9464',
  healthListen: '',
  insecurePlaintext: false,
  allowedPools: [],
  allowAnyPool: false,
  zfsBinary: 'zfs',
  zpoolBinary: 'zpool',
  maxConcurrentJobs: 2,
  memoryBudgetBytes: 256 * 1024 * 1024,
  maxQueuedJobs: 16,
  jobRetentionSeconds: 24 * 3600,
  stallTimeoutSeconds: 300,
  shutdownGraceSeconds: 25,
  defaultPartSizeBytes: 0,
  defaultConcurrency: 4,
  nodeName: process.env.NODE_NAME ?? '',
  logLevel: 'info',
  locationGrants: { named: new Map(), grants: [], allowAny: false },
  clients: [],
  allowAnyClient: false,
  healthMaxConnections: 16,
  healthMaxStreamsPerConnection: 4,
  recoveryGraceSeconds: 24 * 3600,
  recoverOnStart: true,
};

/** Raw config keys that are not AgentConfig fields of the same name. */
const RAW_ONLY_KEYS = ['tls', 'locations', 'allowedLocations', 'allowAnyLocation', 'keys'];

/**
 * A byte size in the agent config: a whole number, or a Kubernetes quantity string ("256Mi", "1Gi",
 * "2G") read by the one quantity parser every size in snapstream goes through (parseQuantityBytes:
 * case matters, "M" is 10^6, "Mi" 2^20, "m" is milli and so never a whole number of bytes).
 */
export function parseBytes(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v !== 'string') throw bad(what, v, 'a byte size such as 268435456, "256Mi" or "1Gi"');
  return parseQuantityBytes(`config ${what}`, v);
}

function bad(what: string, v: unknown, expected: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `config ${what}=${JSON.stringify(v)} is invalid: expected ${expected}`);
}

function int(v: unknown, what: string, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(what, v, `an integer from ${min} to ${max}`);
  return n;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|yes|1)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|no|0)$/i.test(v)) return false;
  throw bad(what, v, 'true or false');
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw bad(what, v, 'a string');
  return v;
}

/** Splits "host:port" / "[v6]:port"; throws INVALID_ARGUMENT on anything else. */
export function parseHostPort(addr: string, what: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]+):(\d+)$/.exec(addr);
  if (!m) throw bad(what, addr, '"host:port"');
  return { host: m[1]!, port: int(m[2], `${what} port`, 0, 65535) };
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Merges raw (file + flags) values over the defaults and validates the whole. */
export function buildAgentConfig(raw: Record<string, unknown>): AgentConfig {
  const known = new Set([...Object.keys(DEFAULT_CONFIG).filter((k) => k !== 'locationGrants'), ...RAW_ONLY_KEYS]);
  for (const k of Object.keys(raw)) {
    if (!known.has(k)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `unknown config key ${JSON.stringify(k)} (known: ${[...known].join(', ')})`);
  }
  const r = { ...DEFAULT_CONFIG, ...raw } as Record<string, unknown>;
  const cfg: AgentConfig = {
    listen: str(r.listen, 'listen'),
    metricsListen: str(r.metricsListen, 'metricsListen'),
    healthListen: str(r.healthListen, 'healthListen'),
    insecurePlaintext: bool(r.insecurePlaintext, 'insecurePlaintext'),
    allowedPools: Array.isArray(r.allowedPools)
      ? r.allowedPools.map((p, i) => str(p, `allowedPools[${i}]`))
      : str(r.allowedPools, 'allowedPools').split(',').map((s) => s.trim()).filter(Boolean),
    allowAnyPool: bool(r.allowAnyPool, 'allowAnyPool'),
    zfsBinary: str(r.zfsBinary, 'zfsBinary'),
    zpoolBinary: str(r.zpoolBinary, 'zpoolBinary'),
    maxConcurrentJobs: int(r.maxConcurrentJobs, 'maxConcurrentJobs', 1, 64),
    memoryBudgetBytes: parseBytes(r.memoryBudgetBytes, 'memoryBudgetBytes'),
    maxQueuedJobs: int(r.maxQueuedJobs, 'maxQueuedJobs', 0, 10_000),
    jobRetentionSeconds: int(r.jobRetentionSeconds, 'jobRetentionSeconds', 1, 30 * 86400),
    stallTimeoutSeconds: int(r.stallTimeoutSeconds, 'stallTimeoutSeconds', 0, 86400),
    shutdownGraceSeconds: int(r.shutdownGraceSeconds, 'shutdownGraceSeconds', 0, 3600),
    defaultPartSizeBytes: parseBytes(r.defaultPartSizeBytes, 'defaultPartSizeBytes'),
    defaultConcurrency: int(r.defaultConcurrency, 'defaultConcurrency', 1, 64),
    nodeName: str(r.nodeName, 'nodeName'),
    logLevel: str(r.logLevel, 'logLevel'),
    locationGrants: buildLocationGrants(r),
    clients: list(r.clients, 'clients').map((c, i) => parseClientGrant(c, `clients[${i}]`)),
    allowAnyClient: bool(r.allowAnyClient, 'allowAnyClient'),
    healthMaxConnections: int(r.healthMaxConnections, 'healthMaxConnections', 1, 10_000),
    healthMaxStreamsPerConnection: int(r.healthMaxStreamsPerConnection, 'healthMaxStreamsPerConnection', 1, 1000),
    recoveryGraceSeconds: int(r.recoveryGraceSeconds, 'recoveryGraceSeconds', 0, 30 * 86400),
    recoverOnStart: bool(r.recoverOnStart, 'recoverOnStart'),
  };
  if (r.tls !== undefined) {
    const t = r.tls as Record<string, unknown>;
    if (typeof t !== 'object' || t === null) throw bad('tls', t, '{caFile, certFile, keyFile}');
    cfg.tls = { caFile: str(t.caFile, 'tls.caFile'), certFile: str(t.certFile, 'tls.certFile'), keyFile: str(t.keyFile, 'tls.keyFile') };
  }
  if (r.keys !== undefined) cfg.keys = parseKeysConfig(r.keys);
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(cfg.logLevel)) throw bad('logLevel', cfg.logLevel, 'a pino level');
  for (const p of cfg.allowedPools) {
    if (!/^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/.test(p)) throw bad('allowedPools', p, 'pool or dataset names');
  }
  if (cfg.allowedPools.length === 0 && !cfg.allowAnyPool) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      'no allowedPools configured: list the pools this agent may touch (--allowed-pool POOL, repeatable), ' +
        'or pass --allow-any-pool for development',
    );
  }
  parseHostPort(cfg.listen, 'listen');
  if (cfg.metricsListen !== '') parseHostPort(cfg.metricsListen, 'metricsListen');
  if (cfg.healthListen !== '') parseHostPort(cfg.healthListen, 'healthListen');
  checkTransportSecurity(cfg);
  if (!cfg.insecurePlaintext && cfg.clients.length === 0 && !cfg.allowAnyClient) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      'no clients configured: list the client certificate identities that may call this agent and their role ' +
        '(clients: [{identity: "cn:snapstream-operator", role: operator}], or --allow-client cn:NAME=operator), ' +
        'or pass --allow-any-client for development',
    );
  }
  return cfg;
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter(Boolean);
  throw bad(what, v, 'a list');
}

/** locations (named), allowedLocations (grants), allowAnyLocation: see location-grants.ts. */
function buildLocationGrants(r: Record<string, unknown>): LocationGrants {
  const named = new Map<string, NamedLocation>();
  const locs = r.locations ?? {};
  if (typeof locs !== 'object' || locs === null || Array.isArray(locs)) throw bad('locations', locs, 'a mapping NAME: {url: ...} or NAME: {config: {VSL keys}}');
  for (const [name, v] of Object.entries(locs as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) throw bad(`locations.${name}`, name, 'a name of letters, digits, ".", "_", "-"');
    const o = typeof v === 'string' ? { url: v } : (v as Record<string, unknown>);
    if (typeof o !== 'object' || o === null || Array.isArray(o) || (o.url === undefined) === (o.config === undefined) || Object.keys(o).some((k) => k !== 'url' && k !== 'config')) {
      throw bad(`locations.${name}`, v, 'a location URL, {url: URL} or {config: {provider, bucket, ...}} (one of them)');
    }
    const what = `locations.${name}`;
    const parsed =
      o.url !== undefined
        ? parseRequestLocation({ kind: 'url', url: str(o.url, `${what}.url`) }, '', what)
        : parseRequestLocation({ kind: 'vsl', vsl: { config: Object.fromEntries(Object.entries(o.config as Record<string, unknown>).map(([k, x]) => [k, String(x)])) } }, '', what);
    named.set(name, { name, config: parsed.config, ...(parsed.behaviour ? { behaviour: parsed.behaviour } : {}), describe: `${what} (${parsed.describe})` });
  }
  const grants = list(r.allowedLocations, 'allowedLocations').map((g, i) => parseGrant(g, `allowedLocations[${i}]`));
  return { named, grants, allowAny: bool(r.allowAnyLocation ?? false, 'allowAnyLocation') };
}

/**
 * mTLS unless plaintext was asked for explicitly AND the agent binds to loopback only: a plaintext
 * agent reachable from the network would let anyone on it read or overwrite volumes.
 */
export function checkTransportSecurity(cfg: Pick<AgentConfig, 'listen' | 'tls' | 'insecurePlaintext'>): void {
  if (cfg.insecurePlaintext) {
    const { host } = parseHostPort(cfg.listen, 'listen');
    if (!isLoopbackHost(host)) {
      throw new SnapstreamError(
        ErrorCode.INVALID_ARGUMENT,
        `refusing plaintext gRPC on ${cfg.listen}: --insecure-plaintext is only allowed on a loopback address ` +
          '(127.0.0.1, ::1, localhost); configure tls.caFile/certFile/keyFile to serve on the network',
      );
    }
    if (cfg.tls) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'both tls and insecurePlaintext are set; pick one');
    return;
  }
  if (!cfg.tls) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      'no TLS configured: set tls.caFile, tls.certFile and tls.keyFile (--tls-ca/--tls-cert/--tls-key); ' +
        'clients must present certificates signed by that CA',
    );
  }
}

export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `cannot read config file ${path}: ${(e as Error).message}`);
  }
  const doc: unknown = parseYaml(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `config file ${path} must be a YAML mapping`);
  return doc as Record<string, unknown>;
}

function parseKeysConfig(v: unknown): AgentKeysConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('keys', v, '{signingKeyFile, trustedKeyFiles, encryptionKeyFile, allowUnauthenticated}');
  const k = v as Record<string, unknown>;
  const allowed = ['signingKeyFile', 'trustedKeyFiles', 'encryptionKeyFile', 'allowUnauthenticated'];
  for (const key of Object.keys(k)) {
    if (!allowed.includes(key)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `unknown config key keys.${key} (known: ${allowed.join(', ')})`);
  }
  const file = (x: unknown, what: string): string | undefined => {
    if (x === undefined || x === '') return undefined;
    const s = str(x, what);
    if (!s.startsWith('/')) throw bad(what, s, 'an absolute path (a file mounted from a Secret)');
    return s;
  };
  const trusted = k.trustedKeyFiles === undefined ? [] : k.trustedKeyFiles;
  if (!Array.isArray(trusted)) throw bad('keys.trustedKeyFiles', trusted, 'a list of file paths');
  const cfg: AgentKeysConfig = {
    trustedKeyFiles: trusted.map((t, i) => file(t, `keys.trustedKeyFiles[${i}]`)!).filter(Boolean),
    allowUnauthenticated: k.allowUnauthenticated === undefined ? false : bool(k.allowUnauthenticated, 'keys.allowUnauthenticated'),
  };
  const signing = file(k.signingKeyFile, 'keys.signingKeyFile');
  if (signing) cfg.signingKeyFile = signing;
  const enc = file(k.encryptionKeyFile, 'keys.encryptionKeyFile');
  if (enc) cfg.encryptionKeyFile = enc;
  return cfg;
}
