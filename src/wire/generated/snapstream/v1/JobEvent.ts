// Original file: proto/snapstream/v1/agent.proto

import type { Job as _snapstream_v1_Job, Job__Output as _snapstream_v1_Job__Output } from '../../snapstream/v1/Job.js';

export interface JobEvent {
  'job'?: (_snapstream_v1_Job | null);
}

export interface JobEvent__Output {
  'job': (_snapstream_v1_Job__Output | null);
}
