// Original file: proto/snapstream/v1/agent.proto

import type { PoolStatus as _snapstream_v1_PoolStatus, PoolStatus__Output as _snapstream_v1_PoolStatus__Output } from '../../snapstream/v1/PoolStatus.js';
import type { InventoryDataset as _snapstream_v1_InventoryDataset, InventoryDataset__Output as _snapstream_v1_InventoryDataset__Output } from '../../snapstream/v1/InventoryDataset.js';

export interface InventoryResponse {
  'node'?: (string);
  'pools'?: (_snapstream_v1_PoolStatus)[];
  'datasets'?: (_snapstream_v1_InventoryDataset)[];
  'nextPageToken'?: (string);
  'allowedPools'?: (string)[];
}

export interface InventoryResponse__Output {
  'node': (string);
  'pools': (_snapstream_v1_PoolStatus__Output)[];
  'datasets': (_snapstream_v1_InventoryDataset__Output)[];
  'nextPageToken': (string);
  'allowedPools': (string)[];
}
