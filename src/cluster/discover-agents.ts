import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCode, SnapstreamError, throwIfAborted } from '../errors.js';
import type { DiscoverySpec } from './cluster.js';

export interface DiscoveredAgent {
  /** host:port to dial ([v6]:port for IPv6). */
  address: string;
  /** Node name when discovery knows it (Kubernetes: spec.nodeName); else the agent's Inventory says. */
  node?: string;
}

/** Upper bound on agents from one discovery: a DaemonSet of more nodes than this is a mistake here. */
export const MAX_AGENTS = 1000;

const HOSTPORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Validates "host:port" / "[v6]:port"; INVALID_ARGUMENT naming the entry otherwise. */
export function parseAgentAddress(a: string, what = 'agent address'): string {
  const m = HOSTPORT.exec(a);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && isIP(m[1]) !== 6)) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what} ${JSON.stringify(a)} is not host:port (IPv6 as [addr]:port)`);
  }
  return a;
}

export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Lists pods for the `kubernetes` discovery (the real one uses @kubernetes/client-node). */
export type PodLister = (
  spec: Extract<DiscoverySpec, { kind: 'kubernetes' }>,
  signal?: AbortSignal,
) => Promise<{ podIP?: string; nodeName?: string; phase?: string; ready?: boolean; name?: string }[]>;

export interface DiscoverDeps {
  listPods?: PodLister;
}

/**
 * Finds the agents. `dns`: every A and AAAA record of the name (a headless Service returns one per
 * ready pod); a family with no records is fine, both empty is NOT_FOUND. `kubernetes`: Running pods
 * of the selector with a pod IP. The result is deduplicated and bounded.
 */
export async function discoverAgents(spec: DiscoverySpec, deps: DiscoverDeps = {}, signal?: AbortSignal): Promise<DiscoveredAgent[]> {
  throwIfAborted(signal);
  let out: DiscoveredAgent[];
  switch (spec.kind) {
    case 'static':
      if (spec.agents.length === 0) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'static discovery: no agent addresses given (--agent HOST:PORT)');
      out = spec.agents.map((a) => ({ address: parseAgentAddress(a) }));
      break;
    case 'dns': {
      checkPort(spec.port, 'dns discovery');
      const r = new Resolver({ timeout: 3000, tries: 2 });
      if (spec.servers?.length) r.setServers(spec.servers);
      const onAbort = () => r.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const [v4, v6] = await Promise.all([family(() => r.resolve4(spec.name)), family(() => r.resolve6(spec.name))]);
        throwIfAborted(signal);
        out = [...v4, ...v6].map((ip) => ({ address: joinHostPort(ip, spec.port) }));
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (out.length === 0) {
        throw new SnapstreamError(ErrorCode.NOT_FOUND, `dns discovery: ${spec.name} has no A or AAAA records (is the headless Service's DaemonSet running?)`, { retryable: true });
      }
      break;
    }
    case 'kubernetes': {
      checkPort(spec.port, 'kubernetes discovery');
      const list = deps.listPods ?? (await import('./kubernetes-pods.js')).listAgentPods;
      const pods = await list(spec, signal);
      out = pods
        .filter((p) => p.phase === 'Running' && p.podIP && isIP(p.podIP) !== 0)
        .map((p) => ({ address: joinHostPort(p.podIP!, spec.port), ...(p.nodeName ? { node: p.nodeName } : {}) }));
      if (out.length === 0) {
        throw new SnapstreamError(
          ErrorCode.NOT_FOUND,
          `kubernetes discovery: no Running pod with an IP matches ${JSON.stringify(spec.labelSelector)} in namespace ${spec.namespace}`,
          { retryable: true },
        );
      }
      break;
    }
    default:
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `unknown discovery kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
  const seen = new Set<string>();
  out = out.filter((a) => !seen.has(a.address) && seen.add(a.address));
  if (out.length > MAX_AGENTS) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `discovery found ${out.length} agents, more than ${MAX_AGENTS}`);
  return out;
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what}: port ${p} is not 1-65535`);
}

/** One address family: "no such records" is an empty list, any other DNS failure is UNAVAILABLE. */
async function family(f: () => Promise<string[]>): Promise<string[]> {
  try {
    return await f();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND' || code === 'NOTFOUND') return [];
    throw new SnapstreamError(ErrorCode.UNAVAILABLE, `dns discovery failed: ${(e as Error).message}`, { cause: e, retryable: true });
  }
}

/**
 * Parses a `--discovery` value: `static:HOST:PORT,HOST:PORT`, `dns:NAME:PORT[@SERVER[,SERVER]]`,
 * `kubernetes:NAMESPACE/LABEL_SELECTOR:PORT` (the selector may hold commas and "=").
 */
export function parseDiscovery(v: string): DiscoverySpec {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `--discovery ${JSON.stringify(v)}: ${why} (forms: static:H:P,H:P | dns:NAME:PORT[@SERVER] | kubernetes:NS/SELECTOR:PORT)`);
  };
  const colon = v.indexOf(':');
  const kind = colon < 0 ? v : v.slice(0, colon);
  const rest = colon < 0 ? '' : v.slice(colon + 1);
  if (kind === 'static') {
    const agents = rest.split(',').map((s) => s.trim()).filter(Boolean);
    if (agents.length === 0) bad('no addresses');
    agents.forEach((a) => parseAgentAddress(a, '--discovery static address'));
    return { kind: 'static', agents };
  }
  if (kind === 'dns') {
    const [target, servers] = rest.split('@', 2) as [string, string | undefined];
    const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(target);
    if (!m) return bad('expected dns:NAME:PORT');
    return { kind: 'dns', name: m[1]!, port: Number(m[2]), ...(servers ? { servers: servers.split(',') } : {}) };
  }
  if (kind === 'kubernetes') {
    const m = /^([a-z0-9-]{1,63})\/(.+):(\d{1,5})$/.exec(rest);
    if (!m) return bad('expected kubernetes:NAMESPACE/LABEL_SELECTOR:PORT');
    return { kind: 'kubernetes', namespace: m[1]!, labelSelector: m[2]!, port: Number(m[3]) };
  }
  return bad(`unknown kind ${JSON.stringify(kind)}`);
}
