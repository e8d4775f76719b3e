// Original file: proto/snapstream/v1/agent.proto

import type { Location as _snapstream_v1_Location, Location__Output as _snapstream_v1_Location__Output } from '../../snapstream/v1/Location.js';

export interface CleanupRequest {
  'location'?: (_snapstream_v1_Location | null);
  'datasets'?: (boolean);
  'dataset'?: (string);
  'olderThanSeconds'?: (number);
  'dryRun'?: (boolean);
}

export interface CleanupRequest__Output {
  'location': (_snapstream_v1_Location__Output | null);
  'datasets': (boolean);
  'dataset': (string);
  'olderThanSeconds': (number);
  'dryRun': (boolean);
}
