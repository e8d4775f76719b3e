import { ErrorCode, SnapstreamError } from '../errors.js';
import type { AgentClient } from '../controller/agent-client.js';
import type { ClusterImpl } from './open-cluster.js';

/**
 * An AgentClient for the controller's retention step on a cluster: destroying `dataset@snap` goes
 * to every node whose inventory holds that snapshot (the node that sent the backup, wherever that
 * was after a failover). Only destroySnapshot is routed; retention uses nothing else.
 */
export function snapshotRouter(cluster: ClusterImpl): AgentClient {
  const unsupported = (what: string) => () => Promise.reject(new SnapstreamError(ErrorCode.INTERNAL, `snapshotRouter: ${what} is not routed`));
  return {
    async destroySnapshot(dataset, snap, signal, expectedGuid) {
      const inv = await cluster.recentInventory(signal);
      let destroyed = false;
      for (const n of inv) {
        const d = n.datasets.find((x) => x.name === dataset);
        if (!d?.snapshots.some((s) => s.name === snap)) continue;
        // The guid the manifest recorded travels on: each node checks it before destroying.
        destroyed = (await cluster.client(n.address).destroySnapshot(dataset, snap, signal, expectedGuid)) || destroyed;
      }
      return destroyed;
    },
    createSnapshot: unsupported('createSnapshot'),
    listSnapshots: unsupported('listSnapshots'),
    startBackup: unsupported('startBackup'),
    startRestore: unsupported('startRestore'),
    watchJob: unsupported('watchJob'),
    close() {},
  };
}
