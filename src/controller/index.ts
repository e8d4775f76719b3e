/** Public surface of src/controller: the schedule runner and what it talks to. */
export type { AgentBackupRequest, AgentClient, AgentRestoreRequest, JobOutcome, StartedJob } from './agent-client.js';
export { StoreCatalog, statusKey, type BackupCatalog } from './backup-catalog.js';
export { Controller, realClock, type Clock, type ControllerOptions, type RetryPolicy } from './controller.js';
export { ControllerMetrics } from './controller-metrics.js';
export { GrpcAgentClient, type GrpcAgentOptions } from './grpc-agent-client.js';
export { fromGrpcError } from '../wire/grpc-status.js';
export { slotClock, slotsBetween, type SlotClock } from './schedule-slots.js';
export { parseStatus, serializeStatus, type ScheduleStatus, type VolumeRunStatus } from './schedule-status.js';
