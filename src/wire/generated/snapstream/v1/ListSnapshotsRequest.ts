// Original file: proto/snapstream/v1/agent.proto


export interface ListSnapshotsRequest {
  'dataset'?: (string);
}

export interface ListSnapshotsRequest__Output {
  'dataset': (string);
}
