// Original file: proto/snapstream/v1/agent.proto


export interface JobError {
  'code'?: (string);
  'message'?: (string);
  'retryable'?: (boolean);
  'details'?: ({[key: string]: string});
}

export interface JobError__Output {
  'code': (string);
  'message': (string);
  'retryable': (boolean);
  'details': ({[key: string]: string});
}
