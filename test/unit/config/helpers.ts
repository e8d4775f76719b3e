import { expect } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import type { SnapstreamConfig } from '../../../src/config/types.js';
import { SnapstreamError } from '../../../src/errors.js';

/** Strips the indentation of a template literal so YAML fixtures can be indented with the test. */
export function yaml(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function parse(text: string, file = 'c.yaml'): SnapstreamConfig {
  return parseConfig([{ file, text }]);
}

/** The problems a config produces, as "line:col: message" lines (file name dropped). */
export function problems(text: string, file = 'c.yaml'): string[] {
  try {
    parseConfig([{ file, text }]);
  } catch (e) {
    expect(e).toBeInstanceOf(SnapstreamError);
    const err = e as SnapstreamError;
    expect(err.code).toBe('INVALID_ARGUMENT');
    const list = err.details.problems as { file: string; line: number; col: number; message: string }[];
    for (const p of list) expect(err.message).toContain(`${p.file}:${p.line}:${p.col}: ${p.message}`);
    return list.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
  throw new Error('expected config problems');
}

/** A valid VolumeSnapshotLocation with `config` lines appended (indented 4 spaces). */
export function vsl(configLines: string, name = 'loc'): string {
  return (
    'apiVersion: velero.io/v1\n' +
    'kind: VolumeSnapshotLocation\n' +
    'metadata:\n' +
    `  name: ${name}\n` +
    '  namespace: velero\n' +
    'spec:\n' +
    '  provider: openebs.io/cstor-blockstore\n' +
    '  config:\n' +
    configLines
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => `    ${l.trim()}\n`)
      .join('')
  );
}
