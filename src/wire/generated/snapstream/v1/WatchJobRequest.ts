// Original file: proto/snapstream/v1/agent.proto


export interface WatchJobRequest {
  'jobId'?: (string);
  'progressIntervalMs'?: (number);
}

export interface WatchJobRequest__Output {
  'jobId': (string);
  'progressIntervalMs': (number);
}
