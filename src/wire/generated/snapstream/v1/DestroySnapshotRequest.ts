// Original file: proto/snapstream/v1/agent.proto


export interface DestroySnapshotRequest {
  'dataset'?: (string);
  'snapName'?: (string);
  'expectedGuid'?: (string);
}

export interface DestroySnapshotRequest__Output {
  'dataset': (string);
  'snapName': (string);
  'expectedGuid': (string);
}
