// Original file: proto/snapstream/v1/agent.proto


export interface InventoryRequest {
  'maxDatasets'?: (number);
  'pageToken'?: (string);
}

export interface InventoryRequest__Output {
  'maxDatasets': (number);
  'pageToken': (string);
}
