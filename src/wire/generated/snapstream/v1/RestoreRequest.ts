// Original file: proto/snapstream/v1/agent.proto

import type { Location as _snapstream_v1_Location, Location__Output as _snapstream_v1_Location__Output } from '../../snapstream/v1/Location.js';
import type { TransferOptions as _snapstream_v1_TransferOptions, TransferOptions__Output as _snapstream_v1_TransferOptions__Output } from '../../snapstream/v1/TransferOptions.js';

export interface RestoreRequest {
  'restoreName'?: (string);
  'volumeName'?: (string);
  'targetDataset'?: (string);
  'backupName'?: (string);
  'restoreAllIncrementalSnapshots'?: (boolean);
  'autoSetTargetIp'?: (boolean);
  'targetIp'?: (string);
  'localRestore'?: (boolean);
  'restoreSrc'?: (string);
  'location'?: (_snapstream_v1_Location | null);
  'transfer'?: (_snapstream_v1_TransferOptions | null);
  'idempotencyKey'?: (string);
  'allowUnverified'?: (boolean);
  'allowStreamProperties'?: (boolean);
  'replacePartial'?: (boolean);
}

export interface RestoreRequest__Output {
  'restoreName': (string);
  'volumeName': (string);
  'targetDataset': (string);
  'backupName': (string);
  'restoreAllIncrementalSnapshots': (boolean);
  'autoSetTargetIp': (boolean);
  'targetIp': (string);
  'localRestore': (boolean);
  'restoreSrc': (string);
  'location': (_snapstream_v1_Location__Output | null);
  'transfer': (_snapstream_v1_TransferOptions__Output | null);
  'idempotencyKey': (string);
  'allowUnverified': (boolean);
  'allowStreamProperties': (boolean);
  'replacePartial': (boolean);
}
