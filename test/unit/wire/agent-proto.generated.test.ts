import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// src/wire/generated/ is what `npm run gen:proto` makes from proto/snapstream/v1/agent.proto. This
// runs the same command (read from package.json, output to a temp dir) and compares every file, so a
// .proto change without regenerating fails here with the command to run.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const GENERATED = 'src/wire/generated';
const out = mkdtempSync(path.join(tmpdir(), 'snapstream-gen-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p, base) : [path.relative(base, p)];
  }).sort();
}

describe('generated gRPC types', () => {
  it('are what `npm run gen:proto` makes from the .proto now', () => {
    const script = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['gen:proto']!;
    const cmd = script.split(' && ').find((c) => c.startsWith('proto-loader-gen-types '))!;
    const args = cmd.split(' ').slice(1).map((a) => (a === GENERATED ? out : a));
    expect(args).toContain(out);
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js'), ...args], { cwd: REPO, stdio: 'pipe' });
    const want = files(out);
    const have = files(path.join(REPO, GENERATED));
    expect(have, 'run `npm run gen:proto` and commit src/wire/generated').toEqual(want);
    const stale = want.filter((f) => readFileSync(path.join(out, f), 'utf8') !== readFileSync(path.join(REPO, GENERATED, f), 'utf8'));
    expect(stale, 'run `npm run gen:proto` and commit src/wire/generated').toEqual([]);
  });
});
