/**
 * What the controller last did for a schedule, stored next to the backups
 * (`[<backupPathPrefix>/]snapstream/schedules/<schedule>.json`). Backups themselves are known from
 * their manifests; this record adds what manifests cannot say: that a run started (so a restarted
 * controller finishes it), and that a run failed (so `schedule ls` reports it instead of it
 * silently vanishing). Parsed from untrusted bytes: anything malformed reads as "no status".
 */
export const STATUS_FORMAT = 'snapstream.schedule-status';
export const STATUS_VERSION = 1;
export const STATUS_MAX_BYTES = 256 * 1024;

export type RunResult = 'running' | 'succeeded' | 'failed';

export interface VolumeRunStatus {
  volume: string;
  result: RunResult | 'skipped';
  /** "full" or "incremental" when a backup was sent. */
  type?: 'full' | 'incremental';
  bytes?: number;
  error?: string;
  errorCode?: string;
}

export interface ScheduleStatus {
  format: typeof STATUS_FORMAT;
  version: typeof STATUS_VERSION;
  schedule: string;
  /** ISO time of the slot last run (or running). */
  lastSlot: string;
  /** The backup name of that slot. */
  lastBackup: string;
  lastResult: RunResult;
  lastStartedAt: string;
  lastFinishedAt: string;
  /** One line per failed volume, "" when none failed. */
  lastError: string;
  /** Attempts made for the last slot (1 = no retry). */
  attempts: number;
  lastSuccessAt: string;
  consecutiveFailures: number;
  /** Slots that passed while nothing ran (controller down, or a run still busy), in total. */
  missedSlots: number;
  volumes: VolumeRunStatus[];
}

export function serializeStatus(s: ScheduleStatus): Buffer {
  return Buffer.from(JSON.stringify(s, null, 1) + '\n', 'utf8');
}

const RESULTS = new Set(['running', 'succeeded', 'failed', 'skipped']);

export function parseStatus(bytes: Buffer, schedule: string): ScheduleStatus | undefined {
  if (bytes.length > STATUS_MAX_BYTES) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || o.format !== STATUS_FORMAT || o.version !== STATUS_VERSION || o.schedule !== schedule) return undefined;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string).slice(0, 4096) : '');
  const num = (k: string) => (typeof o[k] === 'number' && Number.isSafeInteger(o[k]) && (o[k] as number) >= 0 ? (o[k] as number) : 0);
  const result = str('lastResult');
  if (!RESULTS.has(result) || result === 'skipped' || Number.isNaN(Date.parse(str('lastSlot')))) return undefined;
  const volumes: VolumeRunStatus[] = [];
  for (const v of Array.isArray(o.volumes) ? o.volumes.slice(0, 1000) : []) {
    if (typeof v !== 'object' || v === null) continue;
    const r = v as Record<string, unknown>;
    if (typeof r.volume !== 'string' || typeof r.result !== 'string' || !RESULTS.has(r.result)) continue;
    const vs: VolumeRunStatus = { volume: r.volume, result: r.result as VolumeRunStatus['result'] };
    if (r.type === 'full' || r.type === 'incremental') vs.type = r.type;
    if (typeof r.bytes === 'number') vs.bytes = r.bytes;
    if (typeof r.error === 'string') vs.error = r.error.slice(0, 4096);
    if (typeof r.errorCode === 'string') vs.errorCode = r.errorCode.slice(0, 64);
    volumes.push(vs);
  }
  return {
    format: STATUS_FORMAT,
    version: STATUS_VERSION,
    schedule,
    lastSlot: str('lastSlot'),
    lastBackup: str('lastBackup'),
    lastResult: result as RunResult,
    lastStartedAt: str('lastStartedAt'),
    lastFinishedAt: str('lastFinishedAt'),
    lastError: str('lastError'),
    attempts: num('attempts'),
    lastSuccessAt: str('lastSuccessAt'),
    consecutiveFailures: num('consecutiveFailures'),
    missedSlots: num('missedSlots'),
    volumes,
  };
}
