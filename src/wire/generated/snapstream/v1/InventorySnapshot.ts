// Original file: proto/snapstream/v1/agent.proto


export interface InventorySnapshot {
  'name'?: (string);
  'guid'?: (string);
}

export interface InventorySnapshot__Output {
  'name': (string);
  'guid': (string);
}
