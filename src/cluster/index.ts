/** Public surface of src/cluster: the cluster-aware control plane over many agents. */
export type * from './cluster.js';
export { type DiscoveredAgent, discoverAgents, parseDiscovery, parseAgentAddress } from './discover-agents.js';
export { backupCandidates, failoverHelps, locateReplicas } from './locate-replicas.js';
export { NodeLimiter } from './node-limiter.js';
export { ClusterImpl, openCluster, type ClusterDeps } from './open-cluster.js';
