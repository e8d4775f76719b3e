import { parseArgs } from 'node:util';
import { buildAgentConfig, loadConfigFile } from '../agent/agent-config.js';
import { createAgentLogger } from '../agent/agent-logger.js';
import { startAgent } from '../agent/agent-server.js';
import { ErrorCode, exitCodeFor, toSnapstreamError } from '../errors.js';

const HELP = `snapstream agent: serve the snapstream.v1.Agent gRPC API on a pool node

Usage: snapstream agent [--config FILE] [flags]

Flags override the YAML config file's keys (shown in brackets):
  --config FILE              YAML file with the keys below
  --listen HOST:PORT         gRPC address [listen] (default 0.0.0.0:9443)
  --metrics-listen HOST:PORT /metrics and /healthz [metricsListen] (default 0.0.0.0:9464; "" disables)
  --health-listen HOST:PORT  plaintext gRPC health only, for kubelet probes [healthListen] (default off)
  --tls-ca FILE              CA that signs client certificates [tls.caFile]
  --tls-cert FILE            server certificate chain [tls.certFile]
  --tls-key FILE             server private key [tls.keyFile]
  --insecure-plaintext       no TLS; only with a loopback --listen [insecurePlaintext]
  --allowed-pool POOL        pool or dataset prefix requests may touch; repeatable [allowedPools]
  --allow-any-pool           development only: allow every pool [allowAnyPool]
  --allow-location URL       a location grant requests may use (s3://bucket/prefix?endpoint=...,
                             gs://bucket/prefix, file:///root); repeatable [allowedLocations]
  --allow-any-location       development only: requests may use any location [allowAnyLocation]
  --allow-client ID=ROLE     a client certificate identity (dns:NAME, uri:URI or cn:NAME) and its role
                             (operator or reader); repeatable [clients]
  --allow-any-client         development only: any CA-signed client certificate is an operator [allowAnyClient]
  --zfs-binary PATH          zfs command [zfsBinary] (default zfs)
  --zpool-binary PATH        zpool command, for Inventory's pool health [zpoolBinary] (default zpool)
  --max-concurrent-jobs N    [maxConcurrentJobs] (default 2)
  --memory-budget SIZE       memory all jobs may reserve together [memoryBudgetBytes] (default 256Mi)
  --max-queued-jobs N        [maxQueuedJobs] (default 16)
  --job-retention SECONDS    how long finished jobs stay queryable [jobRetentionSeconds] (default 86400)
  --stall-timeout SECONDS    fail a job without progress for this long [stallTimeoutSeconds] (default 300)
  --shutdown-grace SECONDS   SIGTERM: time to cancel jobs and close [shutdownGraceSeconds] (default 25)
  --part-size SIZE           default initial part size [defaultPartSizeBytes] (default: chosen per stream)
  --concurrency N            default parts in flight per job [defaultConcurrency] (default 4)
  --node-name NAME           reported in jobs [nodeName] (default $NODE_NAME)
  --log-level LEVEL          [logLevel] (default info)
  --recovery-grace SECONDS   keep leftovers younger than this (resumable uploads, half-received
                             restores) [recoveryGraceSeconds] (default 86400)
  --recover-on-start BOOL    run the ZFS recovery pass at start-up [recoverOnStart] (default true)
`;

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  listen: { type: 'string' },
  'metrics-listen': { type: 'string' },
  'health-listen': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'insecure-plaintext': { type: 'boolean' },
  'allowed-pool': { type: 'string', multiple: true },
  'allow-any-pool': { type: 'boolean' },
  'allow-location': { type: 'string', multiple: true },
  'allow-any-location': { type: 'boolean' },
  'allow-client': { type: 'string', multiple: true },
  'allow-any-client': { type: 'boolean' },
  'zfs-binary': { type: 'string' },
  'zpool-binary': { type: 'string' },
  'max-concurrent-jobs': { type: 'string' },
  'memory-budget': { type: 'string' },
  'max-queued-jobs': { type: 'string' },
  'job-retention': { type: 'string' },
  'stall-timeout': { type: 'string' },
  'shutdown-grace': { type: 'string' },
  'part-size': { type: 'string' },
  concurrency: { type: 'string' },
  'node-name': { type: 'string' },
  'log-level': { type: 'string' },
  'recovery-grace': { type: 'string' },
  'recover-on-start': { type: 'string' },
} as const;

const FLAG_TO_KEY: Record<string, string> = {
  listen: 'listen',
  'metrics-listen': 'metricsListen',
  'health-listen': 'healthListen',
  'insecure-plaintext': 'insecurePlaintext',
  'allowed-pool': 'allowedPools',
  'allow-any-pool': 'allowAnyPool',
  'allow-location': 'allowedLocations',
  'allow-any-location': 'allowAnyLocation',
  'allow-client': 'clients',
  'allow-any-client': 'allowAnyClient',
  'zfs-binary': 'zfsBinary',
  'zpool-binary': 'zpoolBinary',
  'max-concurrent-jobs': 'maxConcurrentJobs',
  'memory-budget': 'memoryBudgetBytes',
  'max-queued-jobs': 'maxQueuedJobs',
  'job-retention': 'jobRetentionSeconds',
  'stall-timeout': 'stallTimeoutSeconds',
  'shutdown-grace': 'shutdownGraceSeconds',
  'part-size': 'defaultPartSizeBytes',
  concurrency: 'defaultConcurrency',
  'node-name': 'nodeName',
  'log-level': 'logLevel',
  'recovery-grace': 'recoveryGraceSeconds',
  'recover-on-start': 'recoverOnStart',
};

/** `snapstream agent`: runs until SIGTERM/SIGINT, then shuts down within the grace period. */
export async function agentCommand(argv: string[]): Promise<number> {
  let raw: Record<string, unknown>;
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: FLAGS, allowPositionals: false, strict: true }).values;
  } catch (e) {
    process.stderr.write(`snapstream agent: ${(e as Error).message} (see "snapstream agent --help")\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    raw = typeof values.config === 'string' ? loadConfigFile(values.config) : {};
    for (const [flag, key] of Object.entries(FLAG_TO_KEY)) {
      if (values[flag] !== undefined) raw[key] = values[flag];
    }
    if (values['tls-ca'] !== undefined || values['tls-cert'] !== undefined || values['tls-key'] !== undefined) {
      const t = { ...((raw.tls as Record<string, unknown> | undefined) ?? {}) };
      if (values['tls-ca'] !== undefined) t.caFile = values['tls-ca'];
      if (values['tls-cert'] !== undefined) t.certFile = values['tls-cert'];
      if (values['tls-key'] !== undefined) t.keyFile = values['tls-key'];
      raw.tls = t;
    }
    const config = buildAgentConfig(raw);
    const log = createAgentLogger({ level: config.logLevel });
    const agent = await startAgent(config, log);
    return await new Promise<number>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        log.info({ signal: sig }, 'signal received');
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        agent.shutdown().then(
          (clean) => resolve(clean ? 0 : 1),
          () => resolve(1),
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  } catch (e) {
    const err = toSnapstreamError(e);
    process.stderr.write(`snapstream agent: ${err.message}\n`);
    return err.code === ErrorCode.INVALID_ARGUMENT ? 2 : exitCodeFor(err.code);
  }
}

/** Exposed for tests of flag handling. */
export function agentHelp(): string {
  return HELP;
}

