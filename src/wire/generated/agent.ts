import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { AgentClient as _snapstream_v1_AgentClient, AgentDefinition as _snapstream_v1_AgentDefinition } from './snapstream/v1/Agent.js';
import type { BackupInfo as _snapstream_v1_BackupInfo, BackupInfo__Output as _snapstream_v1_BackupInfo__Output } from './snapstream/v1/BackupInfo.js';
import type { BackupRequest as _snapstream_v1_BackupRequest, BackupRequest__Output as _snapstream_v1_BackupRequest__Output } from './snapstream/v1/BackupRequest.js';
import type { BackupResult as _snapstream_v1_BackupResult, BackupResult__Output as _snapstream_v1_BackupResult__Output } from './snapstream/v1/BackupResult.js';
import type { CancelJobRequest as _snapstream_v1_CancelJobRequest, CancelJobRequest__Output as _snapstream_v1_CancelJobRequest__Output } from './snapstream/v1/CancelJobRequest.js';
import type { CleanupEntry as _snapstream_v1_CleanupEntry, CleanupEntry__Output as _snapstream_v1_CleanupEntry__Output } from './snapstream/v1/CleanupEntry.js';
import type { CleanupRequest as _snapstream_v1_CleanupRequest, CleanupRequest__Output as _snapstream_v1_CleanupRequest__Output } from './snapstream/v1/CleanupRequest.js';
import type { CleanupResponse as _snapstream_v1_CleanupResponse, CleanupResponse__Output as _snapstream_v1_CleanupResponse__Output } from './snapstream/v1/CleanupResponse.js';
import type { CreateSnapshotRequest as _snapstream_v1_CreateSnapshotRequest, CreateSnapshotRequest__Output as _snapstream_v1_CreateSnapshotRequest__Output } from './snapstream/v1/CreateSnapshotRequest.js';
import type { DeleteBackupRequest as _snapstream_v1_DeleteBackupRequest, DeleteBackupRequest__Output as _snapstream_v1_DeleteBackupRequest__Output } from './snapstream/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse as _snapstream_v1_DeleteBackupResponse, DeleteBackupResponse__Output as _snapstream_v1_DeleteBackupResponse__Output } from './snapstream/v1/DeleteBackupResponse.js';
import type { DestroySnapshotRequest as _snapstream_v1_DestroySnapshotRequest, DestroySnapshotRequest__Output as _snapstream_v1_DestroySnapshotRequest__Output } from './snapstream/v1/DestroySnapshotRequest.js';
import type { DestroySnapshotResponse as _snapstream_v1_DestroySnapshotResponse, DestroySnapshotResponse__Output as _snapstream_v1_DestroySnapshotResponse__Output } from './snapstream/v1/DestroySnapshotResponse.js';
import type { GetJobRequest as _snapstream_v1_GetJobRequest, GetJobRequest__Output as _snapstream_v1_GetJobRequest__Output } from './snapstream/v1/GetJobRequest.js';
import type { InventoryDataset as _snapstream_v1_InventoryDataset, InventoryDataset__Output as _snapstream_v1_InventoryDataset__Output } from './snapstream/v1/InventoryDataset.js';
import type { InventoryRequest as _snapstream_v1_InventoryRequest, InventoryRequest__Output as _snapstream_v1_InventoryRequest__Output } from './snapstream/v1/InventoryRequest.js';
import type { InventoryResponse as _snapstream_v1_InventoryResponse, InventoryResponse__Output as _snapstream_v1_InventoryResponse__Output } from './snapstream/v1/InventoryResponse.js';
import type { InventorySnapshot as _snapstream_v1_InventorySnapshot, InventorySnapshot__Output as _snapstream_v1_InventorySnapshot__Output } from './snapstream/v1/InventorySnapshot.js';
import type { Job as _snapstream_v1_Job, Job__Output as _snapstream_v1_Job__Output } from './snapstream/v1/Job.js';
import type { JobError as _snapstream_v1_JobError, JobError__Output as _snapstream_v1_JobError__Output } from './snapstream/v1/JobError.js';
import type { JobEvent as _snapstream_v1_JobEvent, JobEvent__Output as _snapstream_v1_JobEvent__Output } from './snapstream/v1/JobEvent.js';
import type { JobResponse as _snapstream_v1_JobResponse, JobResponse__Output as _snapstream_v1_JobResponse__Output } from './snapstream/v1/JobResponse.js';
import type { ListBackupsRequest as _snapstream_v1_ListBackupsRequest, ListBackupsRequest__Output as _snapstream_v1_ListBackupsRequest__Output } from './snapstream/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _snapstream_v1_ListBackupsResponse, ListBackupsResponse__Output as _snapstream_v1_ListBackupsResponse__Output } from './snapstream/v1/ListBackupsResponse.js';
import type { ListJobsRequest as _snapstream_v1_ListJobsRequest, ListJobsRequest__Output as _snapstream_v1_ListJobsRequest__Output } from './snapstream/v1/ListJobsRequest.js';
import type { ListJobsResponse as _snapstream_v1_ListJobsResponse, ListJobsResponse__Output as _snapstream_v1_ListJobsResponse__Output } from './snapstream/v1/ListJobsResponse.js';
import type { ListSnapshotsRequest as _snapstream_v1_ListSnapshotsRequest, ListSnapshotsRequest__Output as _snapstream_v1_ListSnapshotsRequest__Output } from './snapstream/v1/ListSnapshotsRequest.js';
import type { ListSnapshotsResponse as _snapstream_v1_ListSnapshotsResponse, ListSnapshotsResponse__Output as _snapstream_v1_ListSnapshotsResponse__Output } from './snapstream/v1/ListSnapshotsResponse.js';
import type { Location as _snapstream_v1_Location, Location__Output as _snapstream_v1_Location__Output } from './snapstream/v1/Location.js';
import type { PoolStatus as _snapstream_v1_PoolStatus, PoolStatus__Output as _snapstream_v1_PoolStatus__Output } from './snapstream/v1/PoolStatus.js';
import type { Progress as _snapstream_v1_Progress, Progress__Output as _snapstream_v1_Progress__Output } from './snapstream/v1/Progress.js';
import type { RestoreRequest as _snapstream_v1_RestoreRequest, RestoreRequest__Output as _snapstream_v1_RestoreRequest__Output } from './snapstream/v1/RestoreRequest.js';
import type { RestoreResult as _snapstream_v1_RestoreResult, RestoreResult__Output as _snapstream_v1_RestoreResult__Output } from './snapstream/v1/RestoreResult.js';
import type { Snapshot as _snapstream_v1_Snapshot, Snapshot__Output as _snapstream_v1_Snapshot__Output } from './snapstream/v1/Snapshot.js';
import type { TransferOptions as _snapstream_v1_TransferOptions, TransferOptions__Output as _snapstream_v1_TransferOptions__Output } from './snapstream/v1/TransferOptions.js';
import type { VerifyBackupRequest as _snapstream_v1_VerifyBackupRequest, VerifyBackupRequest__Output as _snapstream_v1_VerifyBackupRequest__Output } from './snapstream/v1/VerifyBackupRequest.js';
import type { VerifyResult as _snapstream_v1_VerifyResult, VerifyResult__Output as _snapstream_v1_VerifyResult__Output } from './snapstream/v1/VerifyResult.js';
import type { VolumeSnapshotLocationConfig as _snapstream_v1_VolumeSnapshotLocationConfig, VolumeSnapshotLocationConfig__Output as _snapstream_v1_VolumeSnapshotLocationConfig__Output } from './snapstream/v1/VolumeSnapshotLocationConfig.js';
import type { WatchJobRequest as _snapstream_v1_WatchJobRequest, WatchJobRequest__Output as _snapstream_v1_WatchJobRequest__Output } from './snapstream/v1/WatchJobRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  snapstream: {
    v1: {
      Agent: SubtypeConstructor<typeof grpc.Client, _snapstream_v1_AgentClient> & { service: _snapstream_v1_AgentDefinition }
      BackupInfo: MessageTypeDefinition<_snapstream_v1_BackupInfo, _snapstream_v1_BackupInfo__Output>
      BackupRequest: MessageTypeDefinition<_snapstream_v1_BackupRequest, _snapstream_v1_BackupRequest__Output>
      BackupResult: MessageTypeDefinition<_snapstream_v1_BackupResult, _snapstream_v1_BackupResult__Output>
      CancelJobRequest: MessageTypeDefinition<_snapstream_v1_CancelJobRequest, _snapstream_v1_CancelJobRequest__Output>
      CleanupEntry: MessageTypeDefinition<_snapstream_v1_CleanupEntry, _snapstream_v1_CleanupEntry__Output>
      CleanupRequest: MessageTypeDefinition<_snapstream_v1_CleanupRequest, _snapstream_v1_CleanupRequest__Output>
      CleanupResponse: MessageTypeDefinition<_snapstream_v1_CleanupResponse, _snapstream_v1_CleanupResponse__Output>
      CreateSnapshotRequest: MessageTypeDefinition<_snapstream_v1_CreateSnapshotRequest, _snapstream_v1_CreateSnapshotRequest__Output>
      DeleteBackupRequest: MessageTypeDefinition<_snapstream_v1_DeleteBackupRequest, _snapstream_v1_DeleteBackupRequest__Output>
      DeleteBackupResponse: MessageTypeDefinition<_snapstream_v1_DeleteBackupResponse, _snapstream_v1_DeleteBackupResponse__Output>
      DestroySnapshotRequest: MessageTypeDefinition<_snapstream_v1_DestroySnapshotRequest, _snapstream_v1_DestroySnapshotRequest__Output>
      DestroySnapshotResponse: MessageTypeDefinition<_snapstream_v1_DestroySnapshotResponse, _snapstream_v1_DestroySnapshotResponse__Output>
      GetJobRequest: MessageTypeDefinition<_snapstream_v1_GetJobRequest, _snapstream_v1_GetJobRequest__Output>
      InventoryDataset: MessageTypeDefinition<_snapstream_v1_InventoryDataset, _snapstream_v1_InventoryDataset__Output>
      InventoryRequest: MessageTypeDefinition<_snapstream_v1_InventoryRequest, _snapstream_v1_InventoryRequest__Output>
      InventoryResponse: MessageTypeDefinition<_snapstream_v1_InventoryResponse, _snapstream_v1_InventoryResponse__Output>
      InventorySnapshot: MessageTypeDefinition<_snapstream_v1_InventorySnapshot, _snapstream_v1_InventorySnapshot__Output>
      Job: MessageTypeDefinition<_snapstream_v1_Job, _snapstream_v1_Job__Output>
      JobError: MessageTypeDefinition<_snapstream_v1_JobError, _snapstream_v1_JobError__Output>
      JobEvent: MessageTypeDefinition<_snapstream_v1_JobEvent, _snapstream_v1_JobEvent__Output>
      JobKind: EnumTypeDefinition
      JobResponse: MessageTypeDefinition<_snapstream_v1_JobResponse, _snapstream_v1_JobResponse__Output>
      ListBackupsRequest: MessageTypeDefinition<_snapstream_v1_ListBackupsRequest, _snapstream_v1_ListBackupsRequest__Output>
      ListBackupsResponse: MessageTypeDefinition<_snapstream_v1_ListBackupsResponse, _snapstream_v1_ListBackupsResponse__Output>
      ListJobsRequest: MessageTypeDefinition<_snapstream_v1_ListJobsRequest, _snapstream_v1_ListJobsRequest__Output>
      ListJobsResponse: MessageTypeDefinition<_snapstream_v1_ListJobsResponse, _snapstream_v1_ListJobsResponse__Output>
      ListSnapshotsRequest: MessageTypeDefinition<_snapstream_v1_ListSnapshotsRequest, _snapstream_v1_ListSnapshotsRequest__Output>
      ListSnapshotsResponse: MessageTypeDefinition<_snapstream_v1_ListSnapshotsResponse, _snapstream_v1_ListSnapshotsResponse__Output>
      Location: MessageTypeDefinition<_snapstream_v1_Location, _snapstream_v1_Location__Output>
      Phase: EnumTypeDefinition
      PoolStatus: MessageTypeDefinition<_snapstream_v1_PoolStatus, _snapstream_v1_PoolStatus__Output>
      Progress: MessageTypeDefinition<_snapstream_v1_Progress, _snapstream_v1_Progress__Output>
      RestoreRequest: MessageTypeDefinition<_snapstream_v1_RestoreRequest, _snapstream_v1_RestoreRequest__Output>
      RestoreResult: MessageTypeDefinition<_snapstream_v1_RestoreResult, _snapstream_v1_RestoreResult__Output>
      Snapshot: MessageTypeDefinition<_snapstream_v1_Snapshot, _snapstream_v1_Snapshot__Output>
      TransferOptions: MessageTypeDefinition<_snapstream_v1_TransferOptions, _snapstream_v1_TransferOptions__Output>
      VerifyBackupRequest: MessageTypeDefinition<_snapstream_v1_VerifyBackupRequest, _snapstream_v1_VerifyBackupRequest__Output>
      VerifyResult: MessageTypeDefinition<_snapstream_v1_VerifyResult, _snapstream_v1_VerifyResult__Output>
      VolumeSnapshotLocationConfig: MessageTypeDefinition<_snapstream_v1_VolumeSnapshotLocationConfig, _snapstream_v1_VolumeSnapshotLocationConfig__Output>
      WatchJobRequest: MessageTypeDefinition<_snapstream_v1_WatchJobRequest, _snapstream_v1_WatchJobRequest__Output>
    }
  }
}

