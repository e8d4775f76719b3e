import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// test/unit mirrors src/: test/unit/<dir>/<module>[.<aspect>].test.ts tests src/<dir>/<module>.ts, so the
// tests of a module are found by its path. Two folders are not under src/: repo/ tests files at the
// repository's top (daemonset.yaml, Dockerfile, this layout), helpers/ tests test/helpers/.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const UNIT = path.join(REPO, 'test/unit');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The source a unit test file tests, by the layout rule, or where it must exist outside src/. */
export function subjectOf(rel: string): string {
  const m = /^(.*?)([^/]+?)(\.[a-z0-9-]+)?\.test\.ts$/.exec(rel);
  if (!m) throw new Error(`${rel} is not a test file`);
  const [, dir, name] = m as unknown as [string, string, string];
  if (dir === 'helpers/') return `test/helpers/${name}.ts`;
  if (dir === 'repo/') return name;
  return `src/${dir}${name}.ts`;
}

describe('test/unit layout', () => {
  it('every unit test file is named after the module it tests', () => {
    const tests = walk(UNIT).map((p) => path.relative(UNIT, p)).filter((p) => p.endsWith('.test.ts'));
    expect(tests.length).toBeGreaterThan(50);
    const orphans = tests.filter((t) => !t.startsWith('repo/')).filter((t) => {
      try {
        return !statSync(path.join(REPO, subjectOf(t))).isFile();
      } catch {
        return true;
      }
    });
    expect(orphans, 'move these to test/unit/<dir>/<module>[.<aspect>].test.ts after the src/ module they test').toEqual([]);
  });

  it('maps names, aspects and the two folders outside src/', () => {
    expect(subjectOf('transfer/manifest.test.ts')).toBe('src/transfer/manifest.ts');
    expect(subjectOf('exec/socket-pipe.hostile.test.ts')).toBe('src/exec/socket-pipe.ts');
    expect(subjectOf('store/gcs/map-gcs-error.test.ts')).toBe('src/store/gcs/map-gcs-error.ts');
    expect(subjectOf('redact.test.ts')).toBe('src/redact.ts');
    expect(subjectOf('helpers/fault-proxy.test.ts')).toBe('test/helpers/fault-proxy.ts');
  });
});
