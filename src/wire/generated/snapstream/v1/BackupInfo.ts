// Original file: proto/snapstream/v1/agent.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

export interface BackupInfo {
  'backup'?: (string);
  'schedule'?: (string);
  'volume'?: (string);
  'dataset'?: (string);
  'snapshot'?: (string);
  'previousSnapshot'?: (string);
  'previousBackup'?: (string);
  'dataKey'?: (string);
  'sizeBytes'?: (number | string | Long);
  'streamHash'?: (string);
  'parts'?: (number);
  'started'?: (_google_protobuf_Timestamp | null);
  'finished'?: (_google_protobuf_Timestamp | null);
  'authentication'?: (string);
  'signingKeyId'?: (string);
  'hashAlgorithm'?: (string);
  'encrypted'?: (boolean);
  'node'?: (string);
  'snapshotGuid'?: (string);
}

export interface BackupInfo__Output {
  'backup': (string);
  'schedule': (string);
  'volume': (string);
  'dataset': (string);
  'snapshot': (string);
  'previousSnapshot': (string);
  'previousBackup': (string);
  'dataKey': (string);
  'sizeBytes': (number);
  'streamHash': (string);
  'parts': (number);
  'started': (_google_protobuf_Timestamp__Output | null);
  'finished': (_google_protobuf_Timestamp__Output | null);
  'authentication': (string);
  'signingKeyId': (string);
  'hashAlgorithm': (string);
  'encrypted': (boolean);
  'node': (string);
  'snapshotGuid': (string);
}
