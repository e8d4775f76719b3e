// Original file: proto/snapstream/v1/agent.proto

import type { Job as _snapstream_v1_Job, Job__Output as _snapstream_v1_Job__Output } from '../../snapstream/v1/Job.js';

export interface ListJobsResponse {
  'jobs'?: (_snapstream_v1_Job)[];
}

export interface ListJobsResponse__Output {
  'jobs': (_snapstream_v1_Job__Output)[];
}
