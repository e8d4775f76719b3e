// Original file: proto/snapstream/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupResult {
  'dataKey'?: (string);
  'sizeBytes'?: (number | string | Long);
  'streamHash'?: (string);
  'parts'?: (number);
  'previousSnapshot'?: (string);
  'localOnly'?: (boolean);
  'resumedBytes'?: (number | string | Long);
  'resumeRestartReason'?: (string);
  'dedup'?: (boolean);
  'addedBytes'?: (number | string | Long);
  'segments'?: (number);
  'newSegments'?: (number);
}

export interface BackupResult__Output {
  'dataKey': (string);
  'sizeBytes': (number);
  'streamHash': (string);
  'parts': (number);
  'previousSnapshot': (string);
  'localOnly': (boolean);
  'resumedBytes': (number);
  'resumeRestartReason': (string);
  'dedup': (boolean);
  'addedBytes': (number);
  'segments': (number);
  'newSegments': (number);
}
