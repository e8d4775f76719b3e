import type { Logger } from 'pino';
import type { Progress } from '../transfer/progress.js';

/**
 * Progress for people and for machines: on a terminal, one redrawn line on stderr (bytes, rate, ETA);
 * otherwise a JSON log line every few seconds, so CI logs and `kubectl logs` show the transfer moving.
 */
export function progressReporter(log: Logger, label: string, enabled: boolean): { onProgress: (p: Progress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastLog = 0;
  let drawn = false;
  return {
    onProgress: (p) => {
      if (!enabled) return;
      if (tty) {
        const pct = p.estimatedBytes ? ` ${Math.min(100, (100 * p.bytes) / p.estimatedBytes).toFixed(0)}%` : '';
        const eta = p.etaSeconds !== undefined ? ` ETA ${fmtDuration(p.etaSeconds)}` : '';
        const line = `${label}${pct} ${fmtBytes(p.bytes)}${p.estimatedBytes ? ' of ~' + fmtBytes(p.estimatedBytes) : ''} ${fmtBytes(p.bytesPerSec)}/s part ${p.part}${eta}`;
        process.stderr.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else if (Date.now() - lastLog >= 5000 || p.phase === 'done') {
        lastLog = Date.now();
        log.info({ progress: p }, `${label} progress`);
      }
    },
    done: () => {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtDuration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
