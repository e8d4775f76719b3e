import { loadKeyring } from '../keys/load-keyring.js';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { openStore } from '../location/open-store.js';
import { Zfs } from '../zfs/zfs.js';
import { transferTuningFrom } from '../transfer/transfer-tuning.js';
import { claimingStore } from '../recovery/claiming-store.js';
import { recoverAtStart } from '../recovery/recover-at-start.js';
import { type AgentConfig, parseHostPort } from './agent-config.js';
import type { AgentContext } from './agent-context.js';
import { AgentMetrics } from './agent-metrics.js';
import { AGENT_SERVICE_NAME, loadAgentProto } from '../wire/agent-proto.js';
import { agentService } from './agent-service.js';
import { JobManager } from './jobs/job-manager.js';
import { startMetricsServer } from './metrics-server.js';
import { serverCredentials } from './server-credentials.js';
import { authorizeCalls } from './client-authz.js';
import { type HealthServer, startHealthServer } from './health-server.js';

export interface AgentHandle {
  grpcPort: number;
  healthPort: number | undefined;
  metricsPort: number | undefined;
  context: AgentContext;
  /**
   * Stops accepting jobs, cancels running ones (uploads aborted, receives killed), waits for them
   * at most the grace period, then closes the servers. Resolves true when every job ended in time.
   */
  shutdown(graceMs?: number): Promise<boolean>;
}

export async function startAgent(config: AgentConfig, log: Logger): Promise<AgentHandle> {
  const creds = await serverCredentials(config);
  const metrics = new AgentMetrics({ memoryBudgetBytes: config.memoryBudgetBytes });
  const jobs = new JobManager({
    maxConcurrentJobs: config.maxConcurrentJobs,
    memoryBudgetBytes: config.memoryBudgetBytes,
    maxQueuedJobs: config.maxQueuedJobs,
    retentionMs: config.jobRetentionSeconds * 1000,
    stallTimeoutMs: config.stallTimeoutSeconds * 1000,
    log,
    hooks: metrics.jobHooks(),
  });
  const zfs = new Zfs({ binary: config.zfsBinary, allowedPools: config.allowAnyPool ? [] : config.allowedPools, log, env: process.env });
  // Key files are read once, at start: a bad one stops the agent here with a clear error.
  const keys = config.keys ? await loadKeyring(config.keys) : undefined;
  const context: AgentContext = {
    config,
    ...(keys ? { keys } : {}),
    zfs,
    jobs,
    metrics,
    log,
    tuning: transferTuningFrom(process.env),
    // claimingStore: the cleanup pass never removes the upload of a backup running right now.
    openStore: async (cfg) => claimingStore(await openStore(cfg, { log, maxSockets: config.defaultConcurrency * 2 + 4, metrics: metrics.store })),
  };
  if (config.recoverOnStart) await recoverAtStart(config, zfs, log);

  const { packageDefinition, service } = loadAgentProto();
  const server = new grpc.Server({
    // Requests are small; a large one is a mistake or an attack.
    'grpc.max_receive_message_length': 1024 * 1024,
    'grpc.keepalive_time_ms': 60_000,
  });
  // Every Agent RPC passes the client check (EKU, listed identity, role) before its handler runs.
  const policy = { clients: config.clients, allowAny: config.allowAnyClient, plaintext: config.insecurePlaintext };
  server.addService(service, authorizeCalls(agentService(context), policy, log));
  const health = new HealthImplementation({ '': 'SERVING', [AGENT_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);

  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(config.listen, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
  // Health-only plaintext listener for kubelet probes: a separate server, so the API itself is
  // never reachable without mTLS.
  let healthServer: HealthServer | undefined;
  let healthPort: number | undefined;
  if (config.healthListen !== '') {
    healthServer = await startHealthServer({
      listen: config.healthListen,
      health,
      maxConnections: config.healthMaxConnections,
      maxStreamsPerConnection: config.healthMaxStreamsPerConnection,
      log,
    });
    healthPort = healthServer.port;
  }
  if (!config.locationGrants.allowAny && config.locationGrants.grants.length === 0 && config.locationGrants.named.size === 0) {
    log.warn('no locations granted: every request that names a location will be refused; set locations or allowedLocations in the agent config');
  }
  let serving = true;
  let metricsServer: HttpServer | undefined;
  let metricsPort: number | undefined;
  if (config.metricsListen !== '') {
    const { host, port } = parseHostPort(config.metricsListen, 'metricsListen');
    const m = await startMetricsServer({ host, port, registry: metrics.registry, healthy: () => serving });
    metricsServer = m.server;
    metricsPort = m.port;
  }
  log.info(
    {
      grpcPort,
      metricsPort,
      healthPort,
      listen: config.listen,
      tls: !config.insecurePlaintext,
      allowedPools: config.allowAnyPool ? '*' : config.allowedPools,
      locations: [...config.locationGrants.named.keys()],
      allowedLocations: config.locationGrants.allowAny ? '*' : config.locationGrants.grants.map((g) => g.source),
      clients: config.allowAnyClient ? '*' : config.clients.length,
      maxConcurrentJobs: config.maxConcurrentJobs,
      memoryBudgetBytes: config.memoryBudgetBytes,
    },
    'agent listening',
  );

  let shuttingDown: Promise<boolean> | undefined;
  const shutdown = (graceMs = config.shutdownGraceSeconds * 1000): Promise<boolean> => {
    shuttingDown ??= (async () => {
      serving = false;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(AGENT_SERVICE_NAME, 'NOT_SERVING');
      log.info({ graceMs }, 'shutting down: refusing new jobs, cancelling running ones');
      const t0 = Date.now();
      const clean = await jobs.shutdown(graceMs);
      if (!clean) log.warn('jobs did not end within the grace period');
      // Give in-flight RPCs (GetJob, WatchJob ends) what is left of the grace period, then force.
      const left = Math.max(100, graceMs - (Date.now() - t0));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, left);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      healthServer?.close();
      await new Promise<void>((r) => {
        if (!metricsServer) return r();
        metricsServer.close(() => r());
        metricsServer.closeAllConnections();
      });
      log.info({ clean }, 'agent stopped');
      return clean;
    })();
    return shuttingDown;
  };
  return { grpcPort, healthPort, metricsPort, context, shutdown };
}
