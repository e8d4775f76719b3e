/**
 * The kinds of store call the decorators tell apart: each has its own retry policy, metric label and
 * log line. A part upload and a ranged read carry a transfer's bytes; the rest are small requests.
 */
export const CALL_KINDS = [
  'put',
  'createUpload',
  'putPart',
  'complete',
  'get',
  'getRange',
  'head',
  'list',
  'delete',
  'cleanupUploads',
  'resumeUpload',
] as const;

export type CallKind = (typeof CALL_KINDS)[number];

/** One store call as a decorator sees it. */
export interface StoreCall {
  kind: CallKind;
  /** The object key (or list prefix) the call is about. */
  key: string;
  /** Bytes the call carries (put, putPart, getRange), for pacing and metrics. */
  bytes?: number;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number) => void;
}
