import { isIP } from 'node:net';
import { parseRequestLocation, type ResolvedLocation } from '../agent/request-location.js';
import { didYouMean } from '../parse/did-you-mean.js';
import { LOCATION_KEYS, type LocationBehaviour } from '../config/location-settings.js';
import { parseBoolean } from '../parse/parse-boolean.js';
import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * The plugin's own keys in a VolumeSnapshotLocation's spec.config (Velero hands the plugin nothing
 * else), each with an environment fallback so the seed's VSL works unchanged when the Velero
 * Deployment sets them. They are removed before the rest goes to the agents, which read exactly the
 * keys the CLI and the controller accept (LOCATION_KEYS).
 */
export const PLUGIN_KEYS = {
  /** Static agent list "host:port,host:port" (env SNAPSTREAM_AGENTS). */
  agents: 'SNAPSTREAM_AGENTS',
  /** Pools (or parent datasets) to look for volumes in, "pool-a,tank/k8s": volume V is the dataset <pool>/V (env SNAPSTREAM_AGENT_POOLS). */
  agentPools: 'SNAPSTREAM_AGENT_POOLS',
  /** mTLS to the agents: PEM file paths (a mounted Secret). */
  tlsCaFile: 'SNAPSTREAM_TLS_CA',
  tlsCertFile: 'SNAPSTREAM_TLS_CERT',
  tlsKeyFile: 'SNAPSTREAM_TLS_KEY',
  /** Name expected in the agents' certificate (default: the dialled host). */
  tlsServerName: 'SNAPSTREAM_TLS_SERVER_NAME',
  /** "true": plaintext to agents on loopback (tests and development only). */
  insecurePlaintext: 'SNAPSTREAM_INSECURE_PLAINTEXT',
  /** The cStor target IP written by autoSetTargetIP (no Kubernetes lookup here). */
  targetIP: 'SNAPSTREAM_TARGET_IP',
} as const;
export type PluginKey = keyof typeof PLUGIN_KEYS;

export const DEFAULT_TLS_DIR = '/credentials/snapstream';

export interface AgentAccess {
  agents: string[];
  pools: string[];
  tls: { caFile: string; certFile: string; keyFile: string; serverName?: string } | 'insecure-loopback';
  callTimeoutMs: number;
}

export interface PluginConfig {
  /** The VSL config without the plugin's keys: what the agents receive. */
  locationConfig: Record<string, string>;
  location: ResolvedLocation;
  behaviour: LocationBehaviour;
  access: AgentAccess;
  targetIP?: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const POOL = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9][A-Za-z0-9_.:-]*)*$/;

function bad(message: string, key: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `VolumeSnapshotLocation config: ${message}`, { details: { key } });
}

function list(key: PluginKey, text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw bad(`${key} is empty; give a comma-separated list`, key);
  return items;
}

/**
 * Reads Init's config as strictly as the CLI reads a VolumeSnapshotLocation: an unknown key is an
 * error with a did-you-mean, a bad value names the key and what is accepted (booleans true/false,
 * quantities like "64Mi", ...). Location keys go through the very reader the agent uses.
 */
export function readPluginConfig(config: Record<string, string>, env: NodeJS.ProcessEnv = process.env): PluginConfig {
  const known = [...LOCATION_KEYS, ...Object.keys(PLUGIN_KEYS)];
  const unknown = Object.keys(config).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    const k = unknown[0]!;
    const hint = didYouMean(k, known);
    throw bad(
      `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${known.join(', ')}`,
      k,
    );
  }
  const own = (k: PluginKey): string | undefined => {
    const v = config[k] ?? env[PLUGIN_KEYS[k]];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const locationConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (!(k in PLUGIN_KEYS)) locationConfig[k] = v;
  let location: ResolvedLocation;
  try {
    location = parseRequestLocation({ kind: 'vsl', vsl: { config: locationConfig } }, '', 'VolumeSnapshotLocation');
  } catch (e) {
    if (e instanceof SnapstreamError) {
      throw new SnapstreamError(e.code, e.message.replaceAll('VolumeSnapshotLocation.vsl.config', 'VolumeSnapshotLocation spec.config'), { details: e.details });
    }
    throw e;
  }
  const behaviour = location.behaviour!;

  const agentsText = own('agents');
  if (agentsText === undefined) {
    throw bad(`no agents: set "agents" (e.g. "10.0.0.11:9443,10.0.0.12:9443") or $${PLUGIN_KEYS.agents} in the Velero Deployment`, 'agents');
  }
  const agents = list('agents', agentsText);
  for (const a of agents) {
    const m = HOST_PORT.exec(a);
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) throw bad(`agents: "${a}" is not host:port (e.g. "10.0.0.11:9443", "[fd00::1]:9443")`, 'agents');
  }
  const poolsText = own('agentPools');
  if (poolsText === undefined) {
    throw bad(`no pools: set "agentPools" (e.g. "cstor-pool-1,zfspv-pool") or $${PLUGIN_KEYS.agentPools}; volume V is looked up as <pool>/V`, 'agentPools');
  }
  const pools = list('agentPools', poolsText);
  for (const p of pools) if (!POOL.test(p)) throw bad(`agentPools: "${p}" is not a pool or dataset name (e.g. "cstor-pool-1" or "tank/k8s")`, 'agentPools');

  const insecureText = own('insecurePlaintext');
  const insecure = insecureText === undefined ? false : parseBoolean('insecurePlaintext', insecureText);
  let tls: AgentAccess['tls'];
  if (insecure) {
    for (const k of ['tlsCaFile', 'tlsCertFile', 'tlsKeyFile'] as const) {
      if (config[k] !== undefined) throw bad(`insecurePlaintext "true" and ${k} exclude each other`, k);
    }
    const remote = agents.filter((a) => !isLoopback(HOST_PORT.exec(a)![1]!));
    if (remote.length > 0) throw bad(`insecurePlaintext is for agents on loopback only; ${remote.join(', ')} need mTLS (tlsCaFile, tlsCertFile, tlsKeyFile)`, 'insecurePlaintext');
    tls = 'insecure-loopback';
  } else {
    tls = {
      caFile: own('tlsCaFile') ?? `${DEFAULT_TLS_DIR}/ca.crt`,
      certFile: own('tlsCertFile') ?? `${DEFAULT_TLS_DIR}/tls.crt`,
      keyFile: own('tlsKeyFile') ?? `${DEFAULT_TLS_DIR}/tls.key`,
    };
    const sn = own('tlsServerName');
    if (sn !== undefined) tls.serverName = sn;
    for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
      if (!tls[k].startsWith('/')) throw bad(`tls${k[0]!.toUpperCase()}${k.slice(1)} "${tls[k]}" must be an absolute path (a mounted Secret)`, k);
    }
  }
  const out: PluginConfig = { locationConfig, location, behaviour, access: { agents, pools, tls, callTimeoutMs: behaviour.restApiTimeoutMs } };
  const ip = own('targetIP');
  if (ip !== undefined) {
    if (isIP(ip) === 0) throw bad(`targetIP "${ip}" is not an IPv4 or IPv6 address`, 'targetIP');
    out.targetIP = ip;
  }
  return out;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}
