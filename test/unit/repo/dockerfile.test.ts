import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * No Docker engine here, so the image is never built in tests. What can be checked without one is
 * checked: the build's structure, and that the production-only image has every package the code
 * imports.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lines = dockerfile.split('\n').filter((l) => !l.startsWith('#'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('Dockerfile', () => {
  it('runs on Node 24 and installs production dependencies only in the final image', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
    // The final stage copies node_modules from the production-only stage, never from the build stage.
    expect(dockerfile).toMatch(/COPY --from=deps \/app\/node_modules/);
    expect(dockerfile).not.toMatch(/COPY --from=build \/src\/node_modules/);
    // The agent loads the .proto at run time.
    expect(dockerfile).toMatch(/^COPY proto \.\/proto$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/snapstream.js"\]$/m);
  });

  it('declares every ARG used in a FROM before the first FROM, and has a stage per ZFS userland', () => {
    const firstFrom = lines.findIndex((l) => l.startsWith('FROM '));
    const globalArgs = new Set(lines.slice(0, firstFrom).filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=')[0]));
    for (const l of lines.filter((x) => x.startsWith('FROM '))) {
      for (const [, name] of l.matchAll(/\$\{(\w+)\}/g)) expect(globalArgs, l).toContain(name);
    }
    const stages = new Set(lines.flatMap((l) => /^FROM \S+ AS (\S+)$/.exec(l)?.slice(1) ?? []));
    for (const u of ['debian', 'cstor', 'none']) expect(stages).toContain(`runtime-${u}`);
    expect(lines.filter((l) => l.startsWith('FROM ')).at(-1)).toBe('FROM runtime-${ZFS_USERLAND}');
  });

  it('every package that src/ imports is a production dependency', () => {
    const imported = new Set<string>();
    for (const f of sourceFiles(path.join(REPO, 'src'))) {
      const text = readFileSync(f, 'utf8');
      const specs = [
        // `import type` is erased at compile time, so its package need not be installed.
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm),
        ...text.matchAll(/\bimport\('([^']+)'\)/g),
      ].map((m) => m[1]!);
      for (const spec of specs) {
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        imported.add(name);
      }
    }
    const missing = [...imported].filter((n) => !(n in pkg.dependencies));
    expect(missing, `imported by src/ but not in dependencies: ${missing.join(', ')}`).toEqual([]);
    expect(imported).toContain('@grpc/grpc-js');
  });
});
