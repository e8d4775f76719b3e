// Original file: proto/snapstream/v1/agent.proto

import type { Phase as _snapstream_v1_Phase, Phase__Output as _snapstream_v1_Phase__Output } from '../../snapstream/v1/Phase.js';

export interface ListJobsRequest {
  'phases'?: (_snapstream_v1_Phase)[];
}

export interface ListJobsRequest__Output {
  'phases': (_snapstream_v1_Phase__Output)[];
}
