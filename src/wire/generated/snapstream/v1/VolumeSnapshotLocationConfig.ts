// Original file: proto/snapstream/v1/agent.proto


export interface VolumeSnapshotLocationConfig {
  'config'?: ({[key: string]: string});
}

export interface VolumeSnapshotLocationConfig__Output {
  'config': ({[key: string]: string});
}
