// Original file: proto/snapstream/v1/agent.proto

import type { Snapshot as _snapstream_v1_Snapshot, Snapshot__Output as _snapstream_v1_Snapshot__Output } from '../../snapstream/v1/Snapshot.js';

export interface ListSnapshotsResponse {
  'snapshots'?: (_snapstream_v1_Snapshot)[];
}

export interface ListSnapshotsResponse__Output {
  'snapshots': (_snapstream_v1_Snapshot__Output)[];
}
