// Original file: proto/snapstream/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferOptions {
  'partSizeBytes'?: (number | string | Long);
  'concurrency'?: (number);
  'rateLimitBytesPerSec'?: (number | string | Long);
  'stallTimeoutSeconds'?: (number);
}

export interface TransferOptions__Output {
  'partSizeBytes': (number);
  'concurrency': (number);
  'rateLimitBytesPerSec': (number);
  'stallTimeoutSeconds': (number);
}
