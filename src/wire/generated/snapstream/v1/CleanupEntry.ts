// Original file: proto/snapstream/v1/agent.proto


export interface CleanupEntry {
  'kind'?: (string);
  'name'?: (string);
  'action'?: (string);
  'reason'?: (string);
  'to'?: (string);
}

export interface CleanupEntry__Output {
  'kind': (string);
  'name': (string);
  'action': (string);
  'reason': (string);
  'to': (string);
}
