// Original file: proto/snapstream/v1/agent.proto

import type { BackupInfo as _snapstream_v1_BackupInfo, BackupInfo__Output as _snapstream_v1_BackupInfo__Output } from '../../snapstream/v1/BackupInfo.js';

export interface ListBackupsResponse {
  'backups'?: (_snapstream_v1_BackupInfo)[];
}

export interface ListBackupsResponse__Output {
  'backups': (_snapstream_v1_BackupInfo__Output)[];
}
