// Original file: proto/snapstream/v1/agent.proto


export interface RestoreResult {
  'targetDataset'?: (string);
  'snapshot'?: (string);
  'restoredBackups'?: (string)[];
  'targetIp'?: (string);
}

export interface RestoreResult__Output {
  'targetDataset': (string);
  'snapshot': (string);
  'restoredBackups': (string)[];
  'targetIp': (string);
}
