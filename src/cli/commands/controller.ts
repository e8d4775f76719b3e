import { MAX_PEM_BYTES, readCappedRegularFile } from '../../util/read-capped-file.js';
import { loadConfigFiles } from '../../config/load-config.js';
import { parseGoDuration } from '../../parse/parse-duration.js';
import { StoreCatalog } from '../../controller/backup-catalog.js';
import { loadKeyring } from '../../keys/load-keyring.js';
import { keyFilesFor } from '../key-flags.js';
import { Controller } from '../../controller/controller.js';
import { ControllerMetrics } from '../../controller/controller-metrics.js';
import { GrpcAgentClient } from '../../controller/grpc-agent-client.js';
import { startMetricsServer } from '../../agent/metrics-server.js';
import { openStore } from '../../location/open-store.js';
import { createLogger } from '../../log.js';
import { int, parse, str, usage } from '../args.js';
import { parseDiscovery } from '../../cluster/discover-agents.js';
import { type ClusterImpl, openCluster } from '../../cluster/open-cluster.js';

export const CONTROLLER_HELP = `Usage: snapstream controller --config FILE [--config FILE...] --agent HOST:PORT [options]

Runs the schedules of the config files (Velero VolumeSnapshotLocation + Schedule manifests and/or a
standalone SnapstreamConfig; see docs/schedules.md): at every slot it snapshots each volume through
the agent, backs it up (full when the location sets disableIncrementalBackups, else incremental from
the last completed backup), cleans snapshots up and applies the schedule's retention. It keeps no
state of its own: everything is derived from the bucket, so it can be restarted at any time.

Options:
  --config FILE           config file; repeatable
  --agent HOST:PORT       the node agent's gRPC address (default $SNAPSTREAM_AGENT or 127.0.0.1:9443)
  --discovery SPEC        drive every agent of a cluster instead of one (docs/cluster.md):
                          static:HOST:PORT,HOST:PORT | dns:NAME:PORT[@SERVER] | kubernetes:NAMESPACE/SELECTOR:PORT
                          volumes are found by name (snapstream.io/volume-names, volumeNames) on the nodes
  --per-node-limit N      with --discovery: transfers at once per node (default 1)
  --kubeconfig FILE       with --discovery kubernetes: a kubeconfig instead of the in-cluster account
  --tls-ca FILE           CA that signed the agent's certificate
  --tls-cert FILE         client certificate (mTLS)
  --tls-key FILE          client key
  --tls-server-name NAME  name to expect in the agent's certificate (default: the host of --agent)
  --insecure-plaintext    no TLS (an agent listening on loopback with --insecure-plaintext)
  --trusted-key FILE      Ed25519 public key (PEM) of the backups' signer; repeatable (env
                          SNAPSTREAM_TRUSTED_KEY_FILES). With one, cleanup and retention destroy a
                          snapshot a manifest names only when that manifest is signed by a trusted key
  --metrics-listen ADDR   Prometheus /metrics and /healthz (default 0.0.0.0:9465; "" disables)
  --retry-attempts N      attempts per slot, the first included (default 3)
  --retry-delay DURATION  wait between attempts (default 30s); no retry starts after the next slot
  --log-level LEVEL       debug | info | warn | error (default info); logs are JSON lines on stdout
`;

export async function controllerCommand(argv: string[]): Promise<number> {
  const p = parse('controller', argv, {
    config: { type: 'string', multiple: true },
    agent: { type: 'string' },
    discovery: { type: 'string' },
    'per-node-limit': { type: 'string' },
    kubeconfig: { type: 'string' },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-server-name': { type: 'string' },
    'insecure-plaintext': { type: 'boolean' },
    'trusted-key': { type: 'string', multiple: true },
    'metrics-listen': { type: 'string' },
    'retry-attempts': { type: 'string' },
    'retry-delay': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (p.values.help) {
    process.stdout.write(CONTROLLER_HELP);
    return 0;
  }
  const files = (p.values.config as unknown as string[] | undefined) ?? [];
  if (files.length === 0) throw usage('controller', '--config FILE is required (Velero manifests or a SnapstreamConfig)');
  const config = await loadConfigFiles(files);
  const log = createLogger({ level: str(p, 'log-level') ?? 'info', fd: 1 });
  for (const w of config.warnings) log.warn(w);
  if (config.schedules.length === 0) throw usage('controller', `${files.join(', ')} define no schedule`);

  const address = str(p, 'agent') ?? process.env.SNAPSTREAM_AGENT ?? '127.0.0.1:9443';
  const ca = str(p, 'tls-ca');
  const cert = str(p, 'tls-cert');
  const key = str(p, 'tls-key');
  const insecure = p.values['insecure-plaintext'] === true;
  if (insecure && (ca || cert || key)) throw usage('controller', '--insecure-plaintext and --tls-* exclude each other');
  if (!insecure && !(ca && cert && key)) {
    throw usage('controller', 'the agent needs mTLS: give --tls-ca, --tls-cert and --tls-key (or --insecure-plaintext for a loopback development agent)');
  }
  const read = (f: string, what: string): Promise<Buffer> => readCappedRegularFile(f, MAX_PEM_BYTES, what);
  const serverName = str(p, 'tls-server-name');
  const agent = new GrpcAgentClient({
    address,
    ...(insecure
      ? { insecure: true }
      : { tls: { ca: await read(ca!, '--tls-ca'), cert: await read(cert!, '--tls-cert'), key: await read(key!, '--tls-key'), ...(serverName ? { serverName } : {}) } }),
    callTimeoutMs: Math.max(...config.locations.map((l) => l.behaviour.restApiTimeoutMs)),
  });
  // h14-cluster: --discovery drives every agent it finds (the --agent client stays for nothing else).
  const discoveryText = str(p, 'discovery');
  let cluster: ClusterImpl | undefined;
  const metrics = new ControllerMetrics({ defaultMetrics: true });
  if (discoveryText !== undefined) {
    if (str(p, 'agent') !== undefined) throw usage('controller', '--agent and --discovery exclude each other (use --discovery static:HOST:PORT,... for a list)');
    const discovery = parseDiscovery(discoveryText);
    const kubeconfig = str(p, 'kubeconfig');
    if (kubeconfig !== undefined && discovery.kind === 'kubernetes') discovery.kubeconfig = kubeconfig;
    cluster = openCluster({
      discovery,
      tls: insecure ? 'insecure-loopback' : { caFile: ca!, certFile: cert!, keyFile: key!, ...(serverName ? { serverName } : {}) },
      perNodeLimit: int('controller', p, 'per-node-limit', 1, 64) ?? 1,
      callTimeoutMs: Math.max(...config.locations.map((l) => l.behaviour.restApiTimeoutMs)),
      onFailover: metrics.onFailover,
      log,
    });
    const limiter = cluster.limiter;
    metrics.watchCluster(() => limiter.activeNodes());
  }
  // Public keys only: the controller verifies signatures, it never signs or decrypts.
  const keys = await loadKeyring({ trustedKeyFiles: keyFilesFor(p).trustedKeyFiles });
  const retryDelay = str(p, 'retry-delay');
  const controller = new Controller({
    config,
    agent,
    ...(cluster ? { cluster } : {}),
    openCatalog: async (loc) => new StoreCatalog(await openStore(loc.location, { log }), loc.location.layout, log.child({ location: loc.name }), keys),
    log,
    metrics,
    retry: {
      maxAttempts: int('controller', p, 'retry-attempts', 1, 100) ?? 3,
      delayMs: retryDelay === undefined ? 30_000 : parseGoDuration('--retry-delay', retryDelay),
    },
  });

  const listen = str(p, 'metrics-listen') ?? '0.0.0.0:9465';
  let stopping = false;
  let metricsServer: { server: import('node:http').Server; port: number } | undefined;
  if (listen !== '') {
    const m = /^(.*):(\d+)$/.exec(listen);
    if (!m) throw usage('controller', `--metrics-listen ${JSON.stringify(listen)} must be HOST:PORT`);
    metricsServer = await startMetricsServer({ host: m[1]!, port: Number(m[2]), registry: metrics.registry, healthy: () => !stopping });
  }
  controller.start();
  log.info(
    {
      agent: cluster ? null : address,
      discovery: discoveryText ?? null,
      metricsPort: metricsServer?.port ?? null,
      schedules: config.schedules.map((s) => ({ name: s.name, location: s.location, volumes: s.volumes.map((v) => v.volume), volumeNames: s.volumeNames ?? [], paused: s.paused })),
    },
    'controller running',
  );
  return new Promise<number>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      log.info({ signal: sig }, 'signal received; stopping (a run in progress is finished by the next start)');
      stopping = true;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      controller
        .stop()
        .then(() => {
          agent.close();
          void cluster?.close();
          metricsServer?.server.close();
          resolve(0);
        })
        .catch(() => resolve(1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
