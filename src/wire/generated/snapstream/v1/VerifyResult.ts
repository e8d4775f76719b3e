// Original file: proto/snapstream/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface VerifyResult {
  'sizeBytes'?: (number | string | Long);
  'streamHash'?: (string);
  'parts'?: (number);
}

export interface VerifyResult__Output {
  'sizeBytes': (number);
  'streamHash': (string);
  'parts': (number);
}
