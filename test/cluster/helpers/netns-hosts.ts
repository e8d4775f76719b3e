import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, ensureBuilt } from '../../agent/helpers/agent-process.js';

/**
 * Test hosts: one network namespace per "node", joined to the root namespace by a veth pair with a
 * private /30 (10.231.N.4i+1 root side, .4i+2 inside), each with its own zfs-fuse pool (a sparse
 * file on the shared daemon) and a real `snapstream agent` running inside the namespace with
 * allowedPools = its own pool. Addresses exist only on these interfaces; everything made is removed
 * by `destroy()`. Names carry a per-run random tag, so concurrent runs never collide.
 *
 * radosgw listens on 127.0.0.1 of the ROOT namespace, which a namespace cannot reach (loopback is
 * per namespace). A dummy interface in the root namespace carries one extra address, 10.231.N.254,
 * routed from every namespace through its veth; a small TCP forwarder bound there relays to radosgw.
 * So every agent uses the same s3Url (one VolumeSnapshotLocation for all nodes, as in a cluster),
 * and cutting a host's veth cuts it off from the store too, like a node losing its network.
 */

export interface TestHost {
  index: number;
  node: string;
  ns: string;
  /** Root-side veth (set it down to cut the host off). */
  rootIf: string;
  hostIp: string;
  rootIp: string;
  pool: string;
  poolImage: string;
  agent?: HostAgent;
}

export interface HostAgent {
  proc: ChildProcess;
  address: string;
  output: string[];
  exited: Promise<number | null>;
}

export interface TestHosts {
  tag: string;
  hosts: TestHost[];
  /** The forwarder's address as an http URL (s3Url of the location). */
  storeUrl: string;
  pki: ClusterPki;
  startAgent(h: TestHost, extraArgs?: string[], env?: NodeJS.ProcessEnv): Promise<HostAgent>;
  setLink(h: TestHost, up: boolean): void;
  destroy(): Promise<void>;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim();
}

function tryRun(cmd: string, args: string[]): void {
  try {
    sh(cmd, args);
  } catch {
    /* cleanup: already gone */
  }
}

/** True when this machine can make network namespaces (root, iproute2, netns support). */
export function canMakeNamespaces(): boolean {
  const probe = `ssprobe${randomBytes(3).toString('hex')}`;
  try {
    sh('ip', ['netns', 'add', probe]);
    sh('ip', ['netns', 'del', probe]);
    return true;
  } catch {
    return false;
  }
}

export interface ClusterPki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The fake Kubernetes API's serving certificate (127.0.0.1). */
  kubeCert: string;
  kubeKey: string;
  /** The SAN every agent's certificate carries; the control plane sets it as serverName. */
  serverName: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** CA + one server certificate for all agents (SAN DNS:snapstream-agent, as a DaemonSet shares one) + a client. */
export function makeClusterPki(): ClusterPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'snapstream-cpki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=cluster-ca', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  const leaf = (name: string, ext: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['req', ...ec, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
  };
  leaf('server', 'subjectAltName=DNS:snapstream-agent\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  leaf('kube', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    caFile: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    kubeCert: f('kube.crt'),
    kubeKey: f('kube.key'),
    serverName: 'snapstream-agent',
  };
}

/** A /24 of 10.231.0.0/16 no interface on this machine uses yet (bounded tries). */
function freeSubnet(): number {
  const used = sh('ip', ['-o', '-4', 'addr', 'show']);
  for (let i = 0; i < 40; i++) {
    const n = Math.floor(Math.random() * 256);
    if (!used.includes(`10.231.${n}.`)) return n;
  }
  throw new Error('no free 10.231.N.0/24 for test hosts');
}

/** Relays TCP from `listenHost` to 127.0.0.1:`targetPort` (radosgw) in the root namespace. */
async function startForwarder(listenHost: string, targetPort: number): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolve((server.address() as { port: number }).port));
  });
  return { server, port, sockets };
}

export async function makeTestHosts(count: number, opts: { storePort: number; poolBytes?: number }): Promise<TestHosts> {
  ensureBuilt();
  const tag = randomBytes(3).toString('hex');
  const n = freeSubnet();
  const dummy = `sc${tag}d`;
  const vip = `10.231.${n}.254`;
  const hosts: TestHost[] = [];
  const imgDir = mkdtempSync(path.join(tmpdir(), 'snapstream-hosts-'));
  const pki = makeClusterPki();
  let forwarder: Awaited<ReturnType<typeof startForwarder>> | undefined;
  const made = { dummy: false };

  const destroy = async () => {
    for (const h of hosts) {
      if (h.agent && h.agent.proc.exitCode === null && h.agent.proc.signalCode === null) {
        h.agent.proc.kill('SIGKILL');
        await Promise.race([h.agent.exited, new Promise((r) => setTimeout(r, 5000))]);
      }
    }
    if (forwarder) {
      for (const s of forwarder.sockets) s.destroy();
      await new Promise((r) => forwarder!.server.close(r));
    }
    for (const h of hosts) {
      tryRun('ip', ['link', 'del', h.rootIf]);
      tryRun('ip', ['netns', 'del', h.ns]);
      for (let i = 0; i < 5; i++) {
        try {
          sh('zpool', ['destroy', '-f', h.pool]);
          break;
        } catch (e) {
          if (/no such pool/.test(String((e as { stderr?: string }).stderr))) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    if (made.dummy) tryRun('ip', ['link', 'del', dummy]);
    rmSync(imgDir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  };

  try {
    // No `dummy` module on every kernel: a veth pair whose both ends stay in the root namespace
    // carries the store address just as well.
    sh('ip', ['link', 'add', dummy, 'type', 'veth', 'peer', 'name', `${dummy}x`]);
    made.dummy = true;
    sh('ip', ['addr', 'add', `${vip}/32`, 'dev', dummy]);
    sh('ip', ['link', 'set', dummy, 'up']);
    sh('ip', ['link', 'set', `${dummy}x`, 'up']);
    for (let i = 1; i <= count; i++) {
      const h: TestHost = {
        index: i,
        node: `node-${String.fromCharCode(96 + i)}`,
        ns: `snapstream-${tag}-${i}`,
        rootIf: `sc${tag}h${i}`,
        hostIp: `10.231.${n}.${4 * i + 2}`,
        rootIp: `10.231.${n}.${4 * i + 1}`,
        pool: `sc${tag}p${i}`,
        poolImage: path.join(imgDir, `p${i}.img`),
      };
      hosts.push(h);
      const inner = `sc${tag}n${i}`;
      sh('ip', ['netns', 'add', h.ns]);
      sh('ip', ['link', 'add', h.rootIf, 'type', 'veth', 'peer', 'name', inner]);
      sh('ip', ['link', 'set', inner, 'netns', h.ns]);
      sh('ip', ['addr', 'add', `${h.rootIp}/30`, 'dev', h.rootIf]);
      sh('ip', ['link', 'set', h.rootIf, 'up']);
      const nsx = (...a: string[]) => sh('ip', ['netns', 'exec', h.ns, ...a]);
      nsx('ip', 'link', 'set', 'lo', 'up');
      nsx('ip', 'addr', 'add', `${h.hostIp}/30`, 'dev', inner);
      nsx('ip', 'link', 'set', inner, 'up');
      nsx('ip', 'route', 'add', `${vip}/32`, 'via', h.rootIp);
      writeFileSync(h.poolImage, '');
      execFileSync('truncate', ['-s', String(opts.poolBytes ?? 256 * 1024 * 1024), h.poolImage]);
      sh('zpool', ['create', '-f', '-m', `/${h.pool}`, h.pool, h.poolImage]);
    }
    forwarder = await startForwarder(vip, opts.storePort);
  } catch (e) {
    await destroy();
    throw e;
  }

  const startAgent = async (h: TestHost, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<HostAgent> => {
    const port = 9543;
    const args = [
      'netns', 'exec', h.ns, process.execPath, path.join(REPO, 'bin/snapstream.js'), 'agent',
      '--listen', `0.0.0.0:${port}`, '--metrics-listen', '',
      '--tls-ca', pki.caFile, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey,
      '--allowed-pool', h.pool, '--node-name', h.node, '--log-level', 'info',
      // The control plane's client certificate (CN=client) is the operator.
      '--allow-client', 'cn:client=operator',
      ...extraArgs,
    ];
    const proc = spawn('ip', args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`agent on ${h.node} did not start in 20 s:\n${output.join('\n')}`)), 20_000);
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          output.push(line);
          if (line.includes('"agent listening"')) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      proc.stderr!.on('data', (d: Buffer) => output.push(...d.toString('utf8').split('\n').filter(Boolean)));
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`agent on ${h.node} exited ${code}:\n${output.join('\n')}`));
      });
    });
    h.agent = { proc, address: `${h.hostIp}:${port}`, output, exited };
    return h.agent;
  };

  return {
    tag,
    hosts,
    storeUrl: `http://${vip}:${forwarder.port}`,
    pki,
    startAgent,
    setLink: (h, up) => sh('ip', ['link', 'set', h.rootIf, up ? 'up' : 'down']),
    destroy,
  };
}
