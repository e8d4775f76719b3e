// Original file: proto/snapstream/v1/agent.proto


export interface CreateSnapshotRequest {
  'dataset'?: (string);
  'snapName'?: (string);
}

export interface CreateSnapshotRequest__Output {
  'dataset': (string);
  'snapName': (string);
}
