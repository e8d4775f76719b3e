import { type Server as NetServer, type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { parseHostPort } from './agent-config.js';

export interface HealthServerOptions {
  listen: string;
  health: HealthImplementation;
  /** Connections open at once; one more is closed on arrival (net.Server.maxConnections). */
  maxConnections: number;
  /** HTTP/2 streams (Check/Watch calls) open at once per connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxStreamsPerConnection: number;
  log: Logger;
}

export interface HealthServer {
  port: number;
  /** Connections refused because the cap was reached, since start (for logs and tests). */
  dropped(): number;
  close(): void;
}

/**
 * The plaintext grpc.health.v1 listener for kubelet `grpc:` probes, bounded by construction: it is
 * reachable without a certificate, so whoever can reach it must not be able to grow the agent's
 * memory. grpc-js offers no connection cap of its own, so we own the listening socket (a net.Server
 * with maxConnections) and hand each accepted connection to the gRPC server through its connection
 * injector. Each connection may carry at most maxStreamsPerConnection streams, so open Watch streams
 * are at most maxConnections x maxStreamsPerConnection (16 x 4 = 64 by default), whatever a client
 * does; connections are also recycled after a minute so slots held by an idle flood come back.
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 4096,
    'grpc.max_send_message_length': 4096,
    'grpc.max_concurrent_streams': opts.maxStreamsPerConnection,
    // Probes open a connection, check, and go; a connection kept open is recycled (a Watch stream
    // ends and its client reconnects, subject to the cap again).
    'grpc.max_connection_age_ms': 60_000,
    'grpc.max_connection_age_grace_ms': 5_000,
    'grpc.max_connection_idle_ms': 30_000,
    // HTTP/2 session memory per connection (headers, buffered frames) in MiB.
    'grpc-node.max_session_memory': 1,
  });
  opts.health.addToServer(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  let dropped = 0;
  let lastWarn = 0;
  const listener: NetServer = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    injector.injectConnection(socket);
  });
  listener.maxConnections = opts.maxConnections;
  listener.on('drop', () => {
    dropped++;
    // Log at most once a minute: the flood itself must not become a log flood.
    if (Date.now() - lastWarn > 60_000) {
      lastWarn = Date.now();
      opts.log.warn({ maxConnections: opts.maxConnections, droppedSoFar: dropped }, 'health port: connection cap reached, closing new connections (healthMaxConnections)');
    }
  });
  const { host, port } = parseHostPort(opts.listen, 'healthListen');
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return {
    port: (listener.address() as AddressInfo).port,
    dropped: () => dropped,
    close: () => {
      listener.close();
      injector.destroy();
      server.forceShutdown();
    },
  };
}
