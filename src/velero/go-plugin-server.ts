import { randomBytes } from 'node:crypto';
import { rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { loadVeleroProtos } from './velero-proto.js';

/** hashicorp/go-plugin's core protocol version, and Velero's app protocol version. */
export const CORE_PROTOCOL_VERSION = 1;
export const VELERO_APP_PROTOCOL_VERSION = 2;
export const MAGIC_COOKIE_KEY = 'VELERO_PLUGIN';
export const MAGIC_COOKIE_VALUE = 'hello';
/** go-plugin's health service name (GRPCServiceName). */
export const HEALTH_SERVICE = 'plugin';

export interface PluginIdentifier {
  kind: string;
  name: string;
}

export interface ServePluginOptions {
  plugins: readonly PluginIdentifier[];
  /** The implementation of Velero's generated.VolumeSnapshotter service. */
  volumeSnapshotter: grpc.UntypedServiceImplementation;
  /** The command Velero should run (reported by ListPlugins; Velero itself uses the path it found). */
  command: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Where the handshake line goes (fd 1 by default). */
  stdoutFd?: number;
}

export interface ServingPlugin {
  socketPath: string;
  /** Resolves when the host asked for shutdown (GRPCController.Shutdown) or stop() was called. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Checks go-plugin's handshake environment. A person running the binary by hand gets a message
 * instead of a socket; a host speaking another app protocol is refused, as go-plugin does.
 */
export function checkHandshakeEnv(env: NodeJS.ProcessEnv): void {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `this is a Velero plugin: Velero runs it from its plugin directory (install it with "velero plugin add IMAGE"); ` +
        `it is not meant to be run by hand (${MAGIC_COOKIE_KEY} is not set)`,
    );
  }
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  // A host without the list is a legacy go-plugin host that speaks exactly the configured version.
  if (offered.length > 0 && !offered.includes(String(VELERO_APP_PROTOCOL_VERSION))) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `the plugin host offers app protocol versions ${offered.join(',')}; this plugin speaks ${VELERO_APP_PROTOCOL_VERSION} (Velero 1.x)`,
    );
  }
}

/** The single line go-plugin reads from a plugin's stdout. */
export function handshakeLine(socketPath: string): string {
  return `${CORE_PROTOCOL_VERSION}|${VELERO_APP_PROTOCOL_VERSION}|unix|${socketPath}|grpc\n`;
}

/**
 * Serves a Velero plugin the way go-plugin's server does: a gRPC server on a fresh unix socket
 * (plaintext: Velero sets no AutoMTLS), the handshake line on stdout, grpc.health.v1 with service
 * "plugin" SERVING, PluginLister, the kind's service, and go-plugin's controller/stdio/broker
 * services so the host's calls to them succeed. Shutdown from the host stops the server.
 */
export async function servePlugin(opts: ServePluginOptions): Promise<ServingPlugin> {
  const env = opts.env ?? process.env;
  checkHandshakeEnv(env);
  const protos = loadVeleroProtos();
  const dir = env.PLUGIN_UNIX_SOCKET_DIR || tmpdir();
  const socketPath = path.join(dir, `snapstream-plugin-${process.pid}-${randomBytes(6).toString('hex')}.sock`);

  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const openStreams = new Set<grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>();
  const serving = new Set(['', HEALTH_SERVICE]);
  server.addService(protos.health, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      if (serving.has(call.request.service)) cb(null, { status: 'SERVING' });
      else cb({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
    },
    Watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
      openStreams.add(call);
      call.write({ status: serving.has(call.request.service) ? 'SERVING' : 'SERVICE_UNKNOWN' });
      call.on('cancelled', () => openStreams.delete(call));
    },
  });

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      for (const s of openStreams) s.end();
      openStreams.clear();
      // tryShutdown lets the Shutdown reply itself go out; force after a bound.
      const force = setTimeout(() => server.forceShutdown(), 2000);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        rmSync(socketPath, { force: true });
        resolveStopped();
        resolve();
      });
    });
    return stopping;
  };

  const plugins = opts.plugins.map((p) => ({ command: opts.command, kind: p.kind, name: p.name }));
  server.addService(protos.pluginLister, {
    ListPlugins: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { plugins }),
  });
  server.addService(protos.volumeSnapshotter, opts.volumeSnapshotter);
  server.addService(protos.controller, {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      opts.log.debug('plugin host asked for shutdown');
      cb(null, {});
      setImmediate(() => void stop());
    },
  });
  // The host relays our stdout/stderr through this stream when it has data; logs already go to
  // stderr, which the host reads directly, so the stream stays open and silent until shutdown.
  server.addService(protos.stdio, {
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on('cancelled', () => openStreams.delete(call));
    },
  });
  // The broker multiplexes extra connections for plugins that call back into the host; a
  // VolumeSnapshotter never does, so incoming messages are read and dropped.
  server.addService(protos.broker, {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on('data', () => undefined);
      call.on('end', () => {
        openStreams.delete(call);
        call.end();
      });
      call.on('cancelled', () => openStreams.delete(call));
    },
  });

  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  writeSync(opts.stdoutFd ?? 1, handshakeLine(socketPath));
  opts.log.debug({ socket: socketPath, plugins: opts.plugins.map((p) => p.name) }, 'plugin serving');
  return { socketPath, stopped, stop };
}
