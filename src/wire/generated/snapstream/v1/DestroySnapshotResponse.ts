// Original file: proto/snapstream/v1/agent.proto


export interface DestroySnapshotResponse {
  'destroyed'?: (boolean);
}

export interface DestroySnapshotResponse__Output {
  'destroyed': (boolean);
}
