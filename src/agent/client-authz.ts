import { X509Certificate } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { toGrpcError } from '../wire/grpc-status.js';

/**
 * Who may call what. mTLS proves a client holds a certificate from the configured CA; that alone is
 * not authorization (any node's agent certificate, any workload certificate from a shared CA would
 * do). Per RPC, in one place (authorizeCalls, a wrapper over every Agent handler):
 *  1. the client certificate must carry the clientAuth extended key usage (a server-only
 *     certificate, e.g. another agent's, is refused);
 *  2. one of its identities (SAN DNS name, SAN URI, subject CN) must be listed in `clients`;
 *  3. the listed role must allow the method.
 * Anything else is PERMISSION_DENIED naming the setting to change.
 */
export type ClientRole = 'operator' | 'reader';

export interface ClientGrant {
  /** "dns:NAME", "uri:URI" (e.g. uri:spiffe://cluster.local/ns/openebs/sa/cstor-operator) or "cn:NAME". */
  identity: string;
  role: ClientRole;
}

export interface ClientPolicy {
  clients: ClientGrant[];
  /** Development opt-out: any certificate from the CA with clientAuth is an operator. */
  allowAny: boolean;
  /** The listener is plaintext (loopback-only, development): there is no certificate to check. */
  plaintext: boolean;
}

/** Methods a reader may call: look, never change. Everything else (and any new RPC) is operator-only. */
export const READER_METHODS: ReadonlySet<string> = new Set(['ListBackups', 'ListSnapshots', 'VerifyBackup', 'GetJob', 'ListJobs', 'WatchJob', 'Inventory']);

export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export interface PeerIdentity {
  /** "dns:...", "uri:...", "cn:..." in that order; what `clients` entries are matched against. */
  identities: string[];
  clientAuth: boolean;
}

/** Splits Node's subjectAltName text ("DNS:a, URI:b, IP Address:c"; odd values JSON-quoted). */
export function parseSubjectAltName(san: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  if (!san) return out;
  const re = /(DNS|URI|IP Address|email|DirName|Registered ID|othername):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(san)) !== null) {
    let value = m[2]!;
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    out.push({ type: m[1]!, value });
    if (m[0] === '') break;
  }
  return out;
}

/** The identities and EKU of a DER certificate (the verified peer certificate of the connection). */
export function peerIdentity(der: Buffer): PeerIdentity {
  const x = new X509Certificate(der);
  const identities: string[] = [];
  for (const { type, value } of parseSubjectAltName(x.subjectAltName)) {
    if (type === 'DNS') identities.push(`dns:${value.toLowerCase()}`);
    else if (type === 'URI') identities.push(`uri:${value}`);
  }
  // Subject "CN=name\nO=org" (one attribute per line); several CNs are all identities.
  for (const line of x.subject.split('\n')) if (line.startsWith('CN=')) identities.push(`cn:${line.slice(3)}`);
  const eku = x.keyUsage;
  return { identities, clientAuth: Array.isArray(eku) && eku.includes(CLIENT_AUTH_OID) };
}

function denied(message: string, setting: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.PERMISSION_DENIED, message, { details: { setting } });
}

/** The pure decision: the role the peer gets, or a PERMISSION_DENIED error naming the setting. */
export function decideCall(method: string, peer: PeerIdentity | undefined, policy: ClientPolicy): { role: ClientRole; identity: string } {
  if (policy.plaintext) return { role: 'operator', identity: 'plaintext-loopback' };
  if (!peer) throw denied(`${method}: no verified client certificate on this connection`, 'tls.caFile');
  if (!peer.clientAuth) {
    throw denied(
      `${method}: the client certificate (${peer.identities.join(', ') || 'no identity'}) lacks the clientAuth extended key usage; ` +
        'issue client certificates with extendedKeyUsage=clientAuth (a server certificate is not a client certificate)',
      'clients',
    );
  }
  let grant: ClientGrant | undefined;
  let identity = '';
  if (policy.allowAny) {
    grant = { identity: '*', role: 'operator' };
    identity = peer.identities[0] ?? '*';
  } else {
    for (const id of peer.identities) {
      const g = policy.clients.find((c) => c.identity === id);
      // The strongest role among the certificate's identities wins.
      if (g && (!grant || g.role === 'operator')) {
        grant = g;
        identity = id;
      }
    }
  }
  if (!grant) {
    throw denied(
      `${method}: client ${peer.identities.join(', ') || '(no SAN or CN)'} is not listed in the agent's clients; ` +
        `add {identity: "${peer.identities[0] ?? 'cn:NAME'}", role: operator|reader} to clients in the agent config`,
      'clients',
    );
  }
  if (grant.role === 'reader' && !READER_METHODS.has(method)) {
    throw denied(`${method}: client ${identity} has role reader, which may only ${[...READER_METHODS].join(', ')}; give it role operator in the agent's clients to allow ${method}`, 'clients');
  }
  return { role: grant.role, identity };
}

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;
type Handler = (call: Call, cb?: grpc.sendUnaryData<unknown>) => void;

/** The peer's identity, from the TLS session grpc-js verified (getAuthContext, grpc-js >= 1.14). */
function identityOf(call: Call): PeerIdentity | undefined {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert?.raw) return undefined;
  return peerIdentity(cert.raw);
}

/**
 * Wraps every handler of a service implementation with the decision above. Unary calls get the
 * error through their callback, server-streaming calls as a stream error; the handler never runs.
 */
export function authorizeCalls<T extends grpc.UntypedServiceImplementation>(handlers: T, policy: ClientPolicy, log: Logger): T {
  const out: Record<string, Handler> = {};
  for (const [method, h] of Object.entries(handlers)) {
    // Unary and server-streaming handlers alike: (call, callback?) covers both shapes.
    const handler = h as unknown as Handler;
    out[method] = (call: Call, cb?: grpc.sendUnaryData<unknown>) => {
      let decision: { role: ClientRole; identity: string };
      try {
        decision = decideCall(method, policy.plaintext ? undefined : identityOf(call), policy);
      } catch (e) {
        const err = toGrpcError(e);
        log.warn({ rpc: method, peer: call.getPeer(), grpcCode: err.code, err: err.details }, 'call refused');
        if (cb) cb(err);
        else (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', err);
        return;
      }
      if (!policy.plaintext) log.debug({ rpc: method, client: decision.identity, role: decision.role }, 'call authorized');
      handler(call, cb);
    };
  }
  return out as unknown as T;
}

/** Parses `clients` entries ({identity, role}) and "IDENTITY=ROLE" flag values. */
export function parseClientGrant(v: unknown, source: string): ClientGrant {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `config ${source} ${why}`);
  };
  let identity: unknown;
  let role: unknown;
  if (typeof v === 'string') {
    const i = v.lastIndexOf('=');
    if (i < 0) bad(`${JSON.stringify(v)} must be IDENTITY=ROLE, e.g. cn:snapstream-operator=operator`);
    identity = v.slice(0, i);
    role = v.slice(i + 1);
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'identity' && k !== 'role') bad(`has unknown key ${JSON.stringify(k)} (known: identity, role)`);
    identity = o.identity;
    role = o.role;
  } else {
    return bad('must be {identity, role}');
  }
  if (typeof identity !== 'string' || !/^(dns|uri|cn):\S.*$/.test(identity)) {
    bad(`.identity ${JSON.stringify(identity)} must be "dns:NAME" (a SAN DNS name), "uri:URI" (a SAN URI, e.g. a SPIFFE id) or "cn:NAME" (the subject CN)`);
  }
  if (role !== 'operator' && role !== 'reader') bad(`.role ${JSON.stringify(role)} must be operator (back up, restore, delete, snapshots, cancel) or reader (list, verify, watch)`);
  const id = identity as string;
  return { identity: id.startsWith('dns:') ? id.toLowerCase() : id, role: role as ClientRole };
}
