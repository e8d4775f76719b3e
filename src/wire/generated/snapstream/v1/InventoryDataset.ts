// Original file: proto/snapstream/v1/agent.proto

import type { InventorySnapshot as _snapstream_v1_InventorySnapshot, InventorySnapshot__Output as _snapstream_v1_InventorySnapshot__Output } from '../../snapstream/v1/InventorySnapshot.js';

export interface InventoryDataset {
  'name'?: (string);
  'type'?: (string);
  'guid'?: (string);
  'snapshots'?: (_snapstream_v1_InventorySnapshot)[];
  'snapshotsTruncated'?: (boolean);
}

export interface InventoryDataset__Output {
  'name': (string);
  'type': (string);
  'guid': (string);
  'snapshots': (_snapstream_v1_InventorySnapshot__Output)[];
  'snapshotsTruncated': (boolean);
}
