// Original file: proto/snapstream/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Progress {
  'stage'?: (string);
  'bytes'?: (number | string | Long);
  'estimatedBytes'?: (number | string | Long);
  'part'?: (number);
  'bytesPerSec'?: (number | string);
  'etaSeconds'?: (number | string | Long);
}

export interface Progress__Output {
  'stage': (string);
  'bytes': (number);
  'estimatedBytes': (number);
  'part': (number);
  'bytesPerSec': (number);
  'etaSeconds': (number);
}
