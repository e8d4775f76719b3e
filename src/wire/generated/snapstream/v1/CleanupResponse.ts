// Original file: proto/snapstream/v1/agent.proto

import type { CleanupEntry as _snapstream_v1_CleanupEntry, CleanupEntry__Output as _snapstream_v1_CleanupEntry__Output } from '../../snapstream/v1/CleanupEntry.js';

export interface CleanupResponse {
  'entries'?: (_snapstream_v1_CleanupEntry)[];
  'datasetsDestroyed'?: (number);
  'datasetsRenamed'?: (number);
  'markersCleared'?: (number);
  'uploadsRemoved'?: (number);
  'recordsRemoved'?: (number);
  'kept'?: (number);
  'failed'?: (number);
  'dryRun'?: (boolean);
  'graceSeconds'?: (number);
}

export interface CleanupResponse__Output {
  'entries': (_snapstream_v1_CleanupEntry__Output)[];
  'datasetsDestroyed': (number);
  'datasetsRenamed': (number);
  'markersCleared': (number);
  'uploadsRemoved': (number);
  'recordsRemoved': (number);
  'kept': (number);
  'failed': (number);
  'dryRun': (boolean);
  'graceSeconds': (number);
}
