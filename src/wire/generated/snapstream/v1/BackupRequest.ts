// Original file: proto/snapstream/v1/agent.proto

import type { Location as _snapstream_v1_Location, Location__Output as _snapstream_v1_Location__Output } from '../../snapstream/v1/Location.js';
import type { TransferOptions as _snapstream_v1_TransferOptions, TransferOptions__Output as _snapstream_v1_TransferOptions__Output } from '../../snapstream/v1/TransferOptions.js';

export interface BackupRequest {
  'backupName'?: (string);
  'volumeName'?: (string);
  'snapName'?: (string);
  'prevSnapName'?: (string);
  'backupDest'?: (string);
  'localSnap'?: (boolean);
  'disableIncrementalBackups'?: (boolean);
  'dataset'?: (string);
  'location'?: (_snapstream_v1_Location | null);
  'transfer'?: (_snapstream_v1_TransferOptions | null);
  'idempotencyKey'?: (string);
  'dedup'?: (boolean);
}

export interface BackupRequest__Output {
  'backupName': (string);
  'volumeName': (string);
  'snapName': (string);
  'prevSnapName': (string);
  'backupDest': (string);
  'localSnap': (boolean);
  'disableIncrementalBackups': (boolean);
  'dataset': (string);
  'location': (_snapstream_v1_Location__Output | null);
  'transfer': (_snapstream_v1_TransferOptions__Output | null);
  'idempotencyKey': (string);
  'dedup': (boolean);
}
