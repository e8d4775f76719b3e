// Original file: proto/snapstream/v1/agent.proto

import type { Location as _snapstream_v1_Location, Location__Output as _snapstream_v1_Location__Output } from '../../snapstream/v1/Location.js';
import type { TransferOptions as _snapstream_v1_TransferOptions, TransferOptions__Output as _snapstream_v1_TransferOptions__Output } from '../../snapstream/v1/TransferOptions.js';

export interface VerifyBackupRequest {
  'location'?: (_snapstream_v1_Location | null);
  'backupName'?: (string);
  'volumeName'?: (string);
  'transfer'?: (_snapstream_v1_TransferOptions | null);
}

export interface VerifyBackupRequest__Output {
  'location': (_snapstream_v1_Location__Output | null);
  'backupName': (string);
  'volumeName': (string);
  'transfer': (_snapstream_v1_TransferOptions__Output | null);
}
