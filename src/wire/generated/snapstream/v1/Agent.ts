// Original file: proto/snapstream/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupRequest as _snapstream_v1_BackupRequest, BackupRequest__Output as _snapstream_v1_BackupRequest__Output } from '../../snapstream/v1/BackupRequest.js';
import type { CancelJobRequest as _snapstream_v1_CancelJobRequest, CancelJobRequest__Output as _snapstream_v1_CancelJobRequest__Output } from '../../snapstream/v1/CancelJobRequest.js';
import type { CleanupRequest as _snapstream_v1_CleanupRequest, CleanupRequest__Output as _snapstream_v1_CleanupRequest__Output } from '../../snapstream/v1/CleanupRequest.js';
import type { CleanupResponse as _snapstream_v1_CleanupResponse, CleanupResponse__Output as _snapstream_v1_CleanupResponse__Output } from '../../snapstream/v1/CleanupResponse.js';
import type { CreateSnapshotRequest as _snapstream_v1_CreateSnapshotRequest, CreateSnapshotRequest__Output as _snapstream_v1_CreateSnapshotRequest__Output } from '../../snapstream/v1/CreateSnapshotRequest.js';
import type { DeleteBackupRequest as _snapstream_v1_DeleteBackupRequest, DeleteBackupRequest__Output as _snapstream_v1_DeleteBackupRequest__Output } from '../../snapstream/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse as _snapstream_v1_DeleteBackupResponse, DeleteBackupResponse__Output as _snapstream_v1_DeleteBackupResponse__Output } from '../../snapstream/v1/DeleteBackupResponse.js';
import type { DestroySnapshotRequest as _snapstream_v1_DestroySnapshotRequest, DestroySnapshotRequest__Output as _snapstream_v1_DestroySnapshotRequest__Output } from '../../snapstream/v1/DestroySnapshotRequest.js';
import type { DestroySnapshotResponse as _snapstream_v1_DestroySnapshotResponse, DestroySnapshotResponse__Output as _snapstream_v1_DestroySnapshotResponse__Output } from '../../snapstream/v1/DestroySnapshotResponse.js';
import type { GetJobRequest as _snapstream_v1_GetJobRequest, GetJobRequest__Output as _snapstream_v1_GetJobRequest__Output } from '../../snapstream/v1/GetJobRequest.js';
import type { InventoryRequest as _snapstream_v1_InventoryRequest, InventoryRequest__Output as _snapstream_v1_InventoryRequest__Output } from '../../snapstream/v1/InventoryRequest.js';
import type { InventoryResponse as _snapstream_v1_InventoryResponse, InventoryResponse__Output as _snapstream_v1_InventoryResponse__Output } from '../../snapstream/v1/InventoryResponse.js';
import type { Job as _snapstream_v1_Job, Job__Output as _snapstream_v1_Job__Output } from '../../snapstream/v1/Job.js';
import type { JobEvent as _snapstream_v1_JobEvent, JobEvent__Output as _snapstream_v1_JobEvent__Output } from '../../snapstream/v1/JobEvent.js';
import type { JobResponse as _snapstream_v1_JobResponse, JobResponse__Output as _snapstream_v1_JobResponse__Output } from '../../snapstream/v1/JobResponse.js';
import type { ListBackupsRequest as _snapstream_v1_ListBackupsRequest, ListBackupsRequest__Output as _snapstream_v1_ListBackupsRequest__Output } from '../../snapstream/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _snapstream_v1_ListBackupsResponse, ListBackupsResponse__Output as _snapstream_v1_ListBackupsResponse__Output } from '../../snapstream/v1/ListBackupsResponse.js';
import type { ListJobsRequest as _snapstream_v1_ListJobsRequest, ListJobsRequest__Output as _snapstream_v1_ListJobsRequest__Output } from '../../snapstream/v1/ListJobsRequest.js';
import type { ListJobsResponse as _snapstream_v1_ListJobsResponse, ListJobsResponse__Output as _snapstream_v1_ListJobsResponse__Output } from '../../snapstream/v1/ListJobsResponse.js';
import type { ListSnapshotsRequest as _snapstream_v1_ListSnapshotsRequest, ListSnapshotsRequest__Output as _snapstream_v1_ListSnapshotsRequest__Output } from '../../snapstream/v1/ListSnapshotsRequest.js';
import type { ListSnapshotsResponse as _snapstream_v1_ListSnapshotsResponse, ListSnapshotsResponse__Output as _snapstream_v1_ListSnapshotsResponse__Output } from '../../snapstream/v1/ListSnapshotsResponse.js';
import type { RestoreRequest as _snapstream_v1_RestoreRequest, RestoreRequest__Output as _snapstream_v1_RestoreRequest__Output } from '../../snapstream/v1/RestoreRequest.js';
import type { Snapshot as _snapstream_v1_Snapshot, Snapshot__Output as _snapstream_v1_Snapshot__Output } from '../../snapstream/v1/Snapshot.js';
import type { VerifyBackupRequest as _snapstream_v1_VerifyBackupRequest, VerifyBackupRequest__Output as _snapstream_v1_VerifyBackupRequest__Output } from '../../snapstream/v1/VerifyBackupRequest.js';
import type { WatchJobRequest as _snapstream_v1_WatchJobRequest, WatchJobRequest__Output as _snapstream_v1_WatchJobRequest__Output } from '../../snapstream/v1/WatchJobRequest.js';

export interface AgentClient extends grpc.Client {
  Backup(argument: _snapstream_v1_BackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  Backup(argument: _snapstream_v1_BackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  Backup(argument: _snapstream_v1_BackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  Backup(argument: _snapstream_v1_BackupRequest, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  backup(argument: _snapstream_v1_BackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  backup(argument: _snapstream_v1_BackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  backup(argument: _snapstream_v1_BackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  backup(argument: _snapstream_v1_BackupRequest, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  
  CancelJob(argument: _snapstream_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _snapstream_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _snapstream_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _snapstream_v1_CancelJobRequest, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _snapstream_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _snapstream_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _snapstream_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _snapstream_v1_CancelJobRequest, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  
  Cleanup(argument: _snapstream_v1_CleanupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  Cleanup(argument: _snapstream_v1_CleanupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  Cleanup(argument: _snapstream_v1_CleanupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  Cleanup(argument: _snapstream_v1_CleanupRequest, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _snapstream_v1_CleanupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _snapstream_v1_CleanupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _snapstream_v1_CleanupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _snapstream_v1_CleanupRequest, callback: grpc.requestCallback<_snapstream_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  
  CreateSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _snapstream_v1_CreateSnapshotRequest, callback: grpc.requestCallback<_snapstream_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  
  DeleteBackup(argument: _snapstream_v1_DeleteBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _snapstream_v1_DeleteBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _snapstream_v1_DeleteBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _snapstream_v1_DeleteBackupRequest, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _snapstream_v1_DeleteBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _snapstream_v1_DeleteBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _snapstream_v1_DeleteBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _snapstream_v1_DeleteBackupRequest, callback: grpc.requestCallback<_snapstream_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  
  DestroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  DestroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  DestroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  DestroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  destroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  destroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  destroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  destroySnapshot(argument: _snapstream_v1_DestroySnapshotRequest, callback: grpc.requestCallback<_snapstream_v1_DestroySnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  GetJob(argument: _snapstream_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _snapstream_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _snapstream_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _snapstream_v1_GetJobRequest, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _snapstream_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _snapstream_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _snapstream_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _snapstream_v1_GetJobRequest, callback: grpc.requestCallback<_snapstream_v1_Job__Output>): grpc.ClientUnaryCall;
  
  Inventory(argument: _snapstream_v1_InventoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  Inventory(argument: _snapstream_v1_InventoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  Inventory(argument: _snapstream_v1_InventoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  Inventory(argument: _snapstream_v1_InventoryRequest, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  inventory(argument: _snapstream_v1_InventoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  inventory(argument: _snapstream_v1_InventoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  inventory(argument: _snapstream_v1_InventoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  inventory(argument: _snapstream_v1_InventoryRequest, callback: grpc.requestCallback<_snapstream_v1_InventoryResponse__Output>): grpc.ClientUnaryCall;
  
  ListBackups(argument: _snapstream_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _snapstream_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _snapstream_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _snapstream_v1_ListBackupsRequest, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _snapstream_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _snapstream_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _snapstream_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _snapstream_v1_ListBackupsRequest, callback: grpc.requestCallback<_snapstream_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  
  ListJobs(argument: _snapstream_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _snapstream_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _snapstream_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _snapstream_v1_ListJobsRequest, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _snapstream_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _snapstream_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _snapstream_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _snapstream_v1_ListJobsRequest, callback: grpc.requestCallback<_snapstream_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  
  ListSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _snapstream_v1_ListSnapshotsRequest, callback: grpc.requestCallback<_snapstream_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  
  Restore(argument: _snapstream_v1_RestoreRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  Restore(argument: _snapstream_v1_RestoreRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  Restore(argument: _snapstream_v1_RestoreRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  Restore(argument: _snapstream_v1_RestoreRequest, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  restore(argument: _snapstream_v1_RestoreRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  restore(argument: _snapstream_v1_RestoreRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  restore(argument: _snapstream_v1_RestoreRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  restore(argument: _snapstream_v1_RestoreRequest, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  
  VerifyBackup(argument: _snapstream_v1_VerifyBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  VerifyBackup(argument: _snapstream_v1_VerifyBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  VerifyBackup(argument: _snapstream_v1_VerifyBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  VerifyBackup(argument: _snapstream_v1_VerifyBackupRequest, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _snapstream_v1_VerifyBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _snapstream_v1_VerifyBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _snapstream_v1_VerifyBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _snapstream_v1_VerifyBackupRequest, callback: grpc.requestCallback<_snapstream_v1_JobResponse__Output>): grpc.ClientUnaryCall;
  
  WatchJob(argument: _snapstream_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_snapstream_v1_JobEvent__Output>;
  WatchJob(argument: _snapstream_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_snapstream_v1_JobEvent__Output>;
  watchJob(argument: _snapstream_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_snapstream_v1_JobEvent__Output>;
  watchJob(argument: _snapstream_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_snapstream_v1_JobEvent__Output>;
  
}

export interface AgentHandlers extends grpc.UntypedServiceImplementation {
  Backup: grpc.handleUnaryCall<_snapstream_v1_BackupRequest__Output, _snapstream_v1_JobResponse>;
  
  CancelJob: grpc.handleUnaryCall<_snapstream_v1_CancelJobRequest__Output, _snapstream_v1_Job>;
  
  Cleanup: grpc.handleUnaryCall<_snapstream_v1_CleanupRequest__Output, _snapstream_v1_CleanupResponse>;
  
  CreateSnapshot: grpc.handleUnaryCall<_snapstream_v1_CreateSnapshotRequest__Output, _snapstream_v1_Snapshot>;
  
  DeleteBackup: grpc.handleUnaryCall<_snapstream_v1_DeleteBackupRequest__Output, _snapstream_v1_DeleteBackupResponse>;
  
  DestroySnapshot: grpc.handleUnaryCall<_snapstream_v1_DestroySnapshotRequest__Output, _snapstream_v1_DestroySnapshotResponse>;
  
  GetJob: grpc.handleUnaryCall<_snapstream_v1_GetJobRequest__Output, _snapstream_v1_Job>;
  
  Inventory: grpc.handleUnaryCall<_snapstream_v1_InventoryRequest__Output, _snapstream_v1_InventoryResponse>;
  
  ListBackups: grpc.handleUnaryCall<_snapstream_v1_ListBackupsRequest__Output, _snapstream_v1_ListBackupsResponse>;
  
  ListJobs: grpc.handleUnaryCall<_snapstream_v1_ListJobsRequest__Output, _snapstream_v1_ListJobsResponse>;
  
  ListSnapshots: grpc.handleUnaryCall<_snapstream_v1_ListSnapshotsRequest__Output, _snapstream_v1_ListSnapshotsResponse>;
  
  Restore: grpc.handleUnaryCall<_snapstream_v1_RestoreRequest__Output, _snapstream_v1_JobResponse>;
  
  VerifyBackup: grpc.handleUnaryCall<_snapstream_v1_VerifyBackupRequest__Output, _snapstream_v1_JobResponse>;
  
  WatchJob: grpc.handleServerStreamingCall<_snapstream_v1_WatchJobRequest__Output, _snapstream_v1_JobEvent>;
  
}

export interface AgentDefinition extends grpc.ServiceDefinition {
  Backup: MethodDefinition<_snapstream_v1_BackupRequest, _snapstream_v1_JobResponse, _snapstream_v1_BackupRequest__Output, _snapstream_v1_JobResponse__Output>
  CancelJob: MethodDefinition<_snapstream_v1_CancelJobRequest, _snapstream_v1_Job, _snapstream_v1_CancelJobRequest__Output, _snapstream_v1_Job__Output>
  Cleanup: MethodDefinition<_snapstream_v1_CleanupRequest, _snapstream_v1_CleanupResponse, _snapstream_v1_CleanupRequest__Output, _snapstream_v1_CleanupResponse__Output>
  CreateSnapshot: MethodDefinition<_snapstream_v1_CreateSnapshotRequest, _snapstream_v1_Snapshot, _snapstream_v1_CreateSnapshotRequest__Output, _snapstream_v1_Snapshot__Output>
  DeleteBackup: MethodDefinition<_snapstream_v1_DeleteBackupRequest, _snapstream_v1_DeleteBackupResponse, _snapstream_v1_DeleteBackupRequest__Output, _snapstream_v1_DeleteBackupResponse__Output>
  DestroySnapshot: MethodDefinition<_snapstream_v1_DestroySnapshotRequest, _snapstream_v1_DestroySnapshotResponse, _snapstream_v1_DestroySnapshotRequest__Output, _snapstream_v1_DestroySnapshotResponse__Output>
  GetJob: MethodDefinition<_snapstream_v1_GetJobRequest, _snapstream_v1_Job, _snapstream_v1_GetJobRequest__Output, _snapstream_v1_Job__Output>
  Inventory: MethodDefinition<_snapstream_v1_InventoryRequest, _snapstream_v1_InventoryResponse, _snapstream_v1_InventoryRequest__Output, _snapstream_v1_InventoryResponse__Output>
  ListBackups: MethodDefinition<_snapstream_v1_ListBackupsRequest, _snapstream_v1_ListBackupsResponse, _snapstream_v1_ListBackupsRequest__Output, _snapstream_v1_ListBackupsResponse__Output>
  ListJobs: MethodDefinition<_snapstream_v1_ListJobsRequest, _snapstream_v1_ListJobsResponse, _snapstream_v1_ListJobsRequest__Output, _snapstream_v1_ListJobsResponse__Output>
  ListSnapshots: MethodDefinition<_snapstream_v1_ListSnapshotsRequest, _snapstream_v1_ListSnapshotsResponse, _snapstream_v1_ListSnapshotsRequest__Output, _snapstream_v1_ListSnapshotsResponse__Output>
  Restore: MethodDefinition<_snapstream_v1_RestoreRequest, _snapstream_v1_JobResponse, _snapstream_v1_RestoreRequest__Output, _snapstream_v1_JobResponse__Output>
  VerifyBackup: MethodDefinition<_snapstream_v1_VerifyBackupRequest, _snapstream_v1_JobResponse, _snapstream_v1_VerifyBackupRequest__Output, _snapstream_v1_JobResponse__Output>
  WatchJob: MethodDefinition<_snapstream_v1_WatchJobRequest, _snapstream_v1_JobEvent, _snapstream_v1_WatchJobRequest__Output, _snapstream_v1_JobEvent__Output>
}
