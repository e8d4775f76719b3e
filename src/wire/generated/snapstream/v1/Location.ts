// Original file: proto/snapstream/v1/agent.proto

import type { VolumeSnapshotLocationConfig as _snapstream_v1_VolumeSnapshotLocationConfig, VolumeSnapshotLocationConfig__Output as _snapstream_v1_VolumeSnapshotLocationConfig__Output } from '../../snapstream/v1/VolumeSnapshotLocationConfig.js';

export interface Location {
  'url'?: (string);
  'vsl'?: (_snapstream_v1_VolumeSnapshotLocationConfig | null);
  'name'?: (string);
  'kind'?: "url"|"vsl"|"name";
}

export interface Location__Output {
  'url'?: (string);
  'vsl'?: (_snapstream_v1_VolumeSnapshotLocationConfig__Output | null);
  'name'?: (string);
  'kind'?: "url"|"vsl"|"name";
}
