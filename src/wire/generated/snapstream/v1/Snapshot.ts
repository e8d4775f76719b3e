// Original file: proto/snapstream/v1/agent.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';

export interface Snapshot {
  'dataset'?: (string);
  'name'?: (string);
  'guid'?: (string);
  'created'?: (_google_protobuf_Timestamp | null);
}

export interface Snapshot__Output {
  'dataset': (string);
  'name': (string);
  'guid': (string);
  'created': (_google_protobuf_Timestamp__Output | null);
}
