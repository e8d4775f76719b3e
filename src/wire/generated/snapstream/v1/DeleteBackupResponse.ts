// Original file: proto/snapstream/v1/agent.proto


export interface DeleteBackupResponse {
  'deleted'?: (boolean);
}

export interface DeleteBackupResponse__Output {
  'deleted': (boolean);
}
