// Original file: proto/snapstream/v1/agent.proto

import type { JobKind as _snapstream_v1_JobKind, JobKind__Output as _snapstream_v1_JobKind__Output } from '../../snapstream/v1/JobKind.js';
import type { Phase as _snapstream_v1_Phase, Phase__Output as _snapstream_v1_Phase__Output } from '../../snapstream/v1/Phase.js';
import type { Progress as _snapstream_v1_Progress, Progress__Output as _snapstream_v1_Progress__Output } from '../../snapstream/v1/Progress.js';
import type { JobError as _snapstream_v1_JobError, JobError__Output as _snapstream_v1_JobError__Output } from '../../snapstream/v1/JobError.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { BackupResult as _snapstream_v1_BackupResult, BackupResult__Output as _snapstream_v1_BackupResult__Output } from '../../snapstream/v1/BackupResult.js';
import type { RestoreResult as _snapstream_v1_RestoreResult, RestoreResult__Output as _snapstream_v1_RestoreResult__Output } from '../../snapstream/v1/RestoreResult.js';
import type { VerifyResult as _snapstream_v1_VerifyResult, VerifyResult__Output as _snapstream_v1_VerifyResult__Output } from '../../snapstream/v1/VerifyResult.js';

export interface Job {
  'id'?: (string);
  'kind'?: (_snapstream_v1_JobKind);
  'phase'?: (_snapstream_v1_Phase);
  'idempotencyKey'?: (string);
  'description'?: (string);
  'progress'?: (_snapstream_v1_Progress | null);
  'error'?: (_snapstream_v1_JobError | null);
  'created'?: (_google_protobuf_Timestamp | null);
  'started'?: (_google_protobuf_Timestamp | null);
  'finished'?: (_google_protobuf_Timestamp | null);
  'node'?: (string);
  'backup'?: (_snapstream_v1_BackupResult | null);
  'restore'?: (_snapstream_v1_RestoreResult | null);
  'verify'?: (_snapstream_v1_VerifyResult | null);
  'result'?: "backup"|"restore"|"verify";
}

export interface Job__Output {
  'id': (string);
  'kind': (_snapstream_v1_JobKind__Output);
  'phase': (_snapstream_v1_Phase__Output);
  'idempotencyKey': (string);
  'description': (string);
  'progress': (_snapstream_v1_Progress__Output | null);
  'error': (_snapstream_v1_JobError__Output | null);
  'created': (_google_protobuf_Timestamp__Output | null);
  'started': (_google_protobuf_Timestamp__Output | null);
  'finished': (_google_protobuf_Timestamp__Output | null);
  'node': (string);
  'backup'?: (_snapstream_v1_BackupResult__Output | null);
  'restore'?: (_snapstream_v1_RestoreResult__Output | null);
  'verify'?: (_snapstream_v1_VerifyResult__Output | null);
  'result'?: "backup"|"restore"|"verify";
}
