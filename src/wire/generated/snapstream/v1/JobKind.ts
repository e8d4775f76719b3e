// Original file: proto/snapstream/v1/agent.proto

export const JobKind = {
  JOB_KIND_UNSPECIFIED: 'JOB_KIND_UNSPECIFIED',
  JOB_KIND_BACKUP: 'JOB_KIND_BACKUP',
  JOB_KIND_RESTORE: 'JOB_KIND_RESTORE',
  JOB_KIND_VERIFY: 'JOB_KIND_VERIFY',
} as const;

export type JobKind =
  | 'JOB_KIND_UNSPECIFIED'
  | 0
  | 'JOB_KIND_BACKUP'
  | 1
  | 'JOB_KIND_RESTORE'
  | 2
  | 'JOB_KIND_VERIFY'
  | 3

export type JobKind__Output = typeof JobKind[keyof typeof JobKind]
