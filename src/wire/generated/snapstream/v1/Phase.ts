// Original file: proto/snapstream/v1/agent.proto

export const Phase = {
  PHASE_UNSPECIFIED: 'PHASE_UNSPECIFIED',
  PHASE_PENDING: 'PHASE_PENDING',
  PHASE_INIT: 'PHASE_INIT',
  PHASE_IN_PROGRESS: 'PHASE_IN_PROGRESS',
  PHASE_DONE: 'PHASE_DONE',
  PHASE_FAILED: 'PHASE_FAILED',
  PHASE_INVALID: 'PHASE_INVALID',
} as const;

export type Phase =
  | 'PHASE_UNSPECIFIED'
  | 0
  | 'PHASE_PENDING'
  | 1
  | 'PHASE_INIT'
  | 2
  | 'PHASE_IN_PROGRESS'
  | 3
  | 'PHASE_DONE'
  | 4
  | 'PHASE_FAILED'
  | 5
  | 'PHASE_INVALID'
  | 6

export type Phase__Output = typeof Phase[keyof typeof Phase]
