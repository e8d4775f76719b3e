import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../proto-dir.js';

/** The files of proto/velero/, relative to protoDir(). */
export const VELERO_PROTO_FILES = ['shared.proto', 'plugin_lister.proto', 'volume_snapshotter.proto', 'go_plugin.proto', 'health.proto'];

export interface VeleroServices {
  pluginLister: grpc.ServiceDefinition;
  volumeSnapshotter: grpc.ServiceDefinition;
  controller: grpc.ServiceDefinition;
  stdio: grpc.ServiceDefinition;
  broker: grpc.ServiceDefinition;
  health: grpc.ServiceDefinition;
  /** Client constructors, for tests that talk to the plugin directly. */
  clients: { PluginLister: grpc.ServiceClientConstructor; VolumeSnapshotter: grpc.ServiceClientConstructor };
}

/**
 * Loads Velero's plugin protos (package "generated"), go-plugin's (package "plugin") and the
 * gRPC health service (own copy: a single executable cannot read a library's proto directory). keepCase:
 * Velero's field names are already camelCase with acronyms (snapshotID, volumeAZ) that a converter
 * would not reproduce; int64 as Number (iops).
 */
export function loadVeleroProtos(): VeleroServices {
  const dir = path.join(protoDir(), 'velero');
  const def = protoLoader.loadSync(
    VELERO_PROTO_FILES.map((f) => path.join(dir, f)),
    { keepCase: true, longs: Number, enums: String, defaults: true, includeDirs: [dir] },
  );
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    generated: Record<'PluginLister' | 'VolumeSnapshotter', grpc.ServiceClientConstructor>;
    plugin: Record<'GRPCController' | 'GRPCStdio' | 'GRPCBroker', grpc.ServiceClientConstructor>;
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return {
    pluginLister: pkg.generated.PluginLister.service,
    volumeSnapshotter: pkg.generated.VolumeSnapshotter.service,
    controller: pkg.plugin.GRPCController.service,
    stdio: pkg.plugin.GRPCStdio.service,
    broker: pkg.plugin.GRPCBroker.service,
    health: pkg.grpc.health.v1.Health.service,
    clients: { PluginLister: pkg.generated.PluginLister, VolumeSnapshotter: pkg.generated.VolumeSnapshotter },
  };
}
