// Original file: proto/snapstream/v1/agent.proto


export interface PoolStatus {
  'name'?: (string);
  'health'?: (string);
}

export interface PoolStatus__Output {
  'name': (string);
  'health': (string);
}
