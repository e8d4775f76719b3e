import { isIP } from 'node:net';
import { parseRequestLocation, type ResolvedLocation } from '../agent/request-location.js';
import { didYouMean } from '../parse/did-you-mean.js';
import { LOCATION_KEYS, type LocationBehaviour } from '../config/location-settings.js';
import { parseBoolean } from '../parse/parse-boolean.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { ClusterTls, DiscoverySpec, TransferSettings } from '../cluster/cluster.js';
import { parseAgentAddress, parseDiscovery } from '../cluster/discover-agents.js';
import { parseQuantityBytes } from '../parse/parse-quantity.js';

/**
 * The plugin's own keys in a VolumeSnapshotLocation's spec.config (Velero hands the plugin nothing
 * else), each with an environment fallback so the seed's VSL works unchanged when the Velero
 * Deployment sets them. They are removed before the rest goes to the agents, which read exactly the
 * keys the CLI and the controller accept (LOCATION_KEYS).
 */
export const PLUGIN_KEYS = {
  /** Static agent list "host:port,host:port" (env SNAPSTREAM_AGENTS). */
  agents: 'SNAPSTREAM_AGENTS',
  /**
   * How to find the agents instead of a static list: `dns:NAME:PORT[@SERVER]` (every A/AAAA record
   * of the DaemonSet's headless Service) or `kubernetes:NAMESPACE/LABEL_SELECTOR:PORT` (the
   * DaemonSet's Running pods through the Kubernetes API), as the controller's --discovery.
   */
  agentDiscovery: 'SNAPSTREAM_AGENT_DISCOVERY',
  /** A kubeconfig file for the Kubernetes API (discovery, target IP); default the pod's service account. */
  kubeconfig: 'SNAPSTREAM_KUBECONFIG',
  /** mTLS to the agents: PEM file paths (a mounted Secret). */
  tlsCaFile: 'SNAPSTREAM_TLS_CA',
  tlsCertFile: 'SNAPSTREAM_TLS_CERT',
  tlsKeyFile: 'SNAPSTREAM_TLS_KEY',
  /** Name expected in the agents' certificate (default: the dialled host). */
  tlsServerName: 'SNAPSTREAM_TLS_SERVER_NAME',
  /** "true": plaintext to agents on loopback (tests and development only). */
  insecurePlaintext: 'SNAPSTREAM_INSECURE_PLAINTEXT',
  /** The target IP autoSetTargetIP writes; without it the plugin asks the Kubernetes API (targetip-lookup.ts). */
  targetIP: 'SNAPSTREAM_TARGET_IP',
  /** Namespace of the cStor target Services (default "openebs"). */
  targetIPNamespace: 'SNAPSTREAM_TARGET_IP_NAMESPACE',
  /** Upload rate limit of each backup job, bytes per second as a quantity ("50Mi"); default none. */
  rateLimit: 'SNAPSTREAM_RATE_LIMIT',
} as const;
export type PluginKey = keyof typeof PLUGIN_KEYS;

/** Keys of earlier versions of the plugin, refused with what replaces them. */
const RETIRED_KEYS: Record<string, string> = {
  agentPools:
    'agentPools is no longer used: the agents\' Inventory says which pools hold a volume (every <pool>/<volume> is a replica); remove the key',
};

export const DEFAULT_TLS_DIR = '/credentials/snapstream';

export interface AgentAccess {
  discovery: DiscoverySpec;
  tls: ClusterTls;
  callTimeoutMs: number;
}

export interface PluginConfig {
  /** The VSL config without the plugin's keys: what the agents receive. */
  locationConfig: Record<string, string>;
  location: ResolvedLocation;
  behaviour: LocationBehaviour;
  access: AgentAccess;
  /** autoSetTargetIP: this IP (targetIP), else looked up in the Kubernetes API. */
  targetIP?: string;
  targetIPLookup: { namespace: string; kubeconfig?: string };
  /** TransferOptions for backup jobs (rateLimit). */
  transfer?: TransferSettings;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

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
  const retired = Object.keys(config).find((k) => k in RETIRED_KEYS);
  if (retired !== undefined) throw bad(RETIRED_KEYS[retired]!, retired);
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

  const discovery = readDiscovery(own('agents'), own('agentDiscovery'));
  const kubeconfig = own('kubeconfig');
  if (kubeconfig !== undefined) {
    if (!kubeconfig.startsWith('/')) throw bad(`kubeconfig "${kubeconfig}" must be an absolute path`, 'kubeconfig');
    if (discovery.kind === 'kubernetes') discovery.kubeconfig = kubeconfig;
  }

  const insecureText = own('insecurePlaintext');
  const insecure = insecureText === undefined ? false : parseBoolean('insecurePlaintext', insecureText);
  let tls: AgentAccess['tls'];
  if (insecure) {
    for (const k of ['tlsCaFile', 'tlsCertFile', 'tlsKeyFile'] as const) {
      if (config[k] !== undefined) throw bad(`insecurePlaintext "true" and ${k} exclude each other`, k);
    }
    if (discovery.kind !== 'static') throw bad(`insecurePlaintext is for a static list of agents on loopback only, not ${discovery.kind} discovery`, 'insecurePlaintext');
    const remote = discovery.agents.filter((a) => !isLoopback(HOST_PORT.exec(a)![1]!));
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
  const namespace = own('targetIPNamespace') ?? 'openebs';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw bad(`targetIPNamespace "${namespace}" is not a namespace name`, 'targetIPNamespace');
  const out: PluginConfig = {
    locationConfig,
    location,
    behaviour,
    access: { discovery, tls, callTimeoutMs: behaviour.restApiTimeoutMs },
    targetIPLookup: { namespace, ...(kubeconfig !== undefined ? { kubeconfig } : {}) },
  };
  const ip = own('targetIP');
  if (ip !== undefined) {
    if (isIP(ip) === 0) throw bad(`targetIP "${ip}" is not an IPv4 or IPv6 address`, 'targetIP');
    out.targetIP = ip;
  }
  const rate = own('rateLimit');
  if (rate !== undefined) {
    let n: number;
    try {
      n = parseQuantityBytes('rateLimit', rate);
    } catch (e) {
      throw bad((e as Error).message, 'rateLimit');
    }
    if (n < 1) throw bad(`rateLimit "${rate}" must be at least 1 byte per second`, 'rateLimit');
    out.transfer = { rateLimitBytesPerSec: n };
  }
  return out;
}

/** `agents` (a static list) or `agentDiscovery` (dns:/kubernetes:/static:), exactly one. */
function readDiscovery(agentsText: string | undefined, discoveryText: string | undefined): DiscoverySpec {
  if (agentsText !== undefined && discoveryText !== undefined) {
    throw bad('agents and agentDiscovery exclude each other; set one', 'agentDiscovery');
  }
  if (discoveryText !== undefined) {
    try {
      return parseDiscovery(discoveryText);
    } catch (e) {
      throw bad((e as Error).message.replace('--discovery', 'agentDiscovery'), 'agentDiscovery');
    }
  }
  if (agentsText === undefined) {
    throw bad(
      `no agents: set "agents" (e.g. "10.0.0.11:9443,10.0.0.12:9443"), or "agentDiscovery" (e.g. "dns:snapstream-agent.openebs.svc.cluster.local:9443" or ` +
        `"kubernetes:openebs/app.kubernetes.io/name=snapstream-agent:9443"), or $${PLUGIN_KEYS.agents} / $${PLUGIN_KEYS.agentDiscovery} in the Velero Deployment`,
      'agents',
    );
  }
  const agents = list('agents', agentsText);
  for (const a of agents) {
    try {
      parseAgentAddress(a);
    } catch {
      throw bad(`agents: "${a}" is not host:port (e.g. "10.0.0.11:9443", "[fd00::1]:9443")`, 'agents');
    }
  }
  return { kind: 'static', agents };
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}
