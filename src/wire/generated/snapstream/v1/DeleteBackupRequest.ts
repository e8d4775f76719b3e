// Original file: proto/snapstream/v1/agent.proto

import type { Location as _snapstream_v1_Location, Location__Output as _snapstream_v1_Location__Output } from '../../snapstream/v1/Location.js';

export interface DeleteBackupRequest {
  'location'?: (_snapstream_v1_Location | null);
  'backupName'?: (string);
  'volumeName'?: (string);
}

export interface DeleteBackupRequest__Output {
  'location': (_snapstream_v1_Location__Output | null);
  'backupName': (string);
  'volumeName': (string);
}
