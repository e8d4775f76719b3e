#!/usr/bin/env node
// Builds the Velero plugin as one executable for the Velero image's /plugins directory:
//   1. esbuild bundles dist/velero/sea-entry.js (run `npm run build` first) into one CommonJS file;
//   2. Node's single-executable-application support turns it into a blob with the .proto files as
//      assets, and postject injects the blob into a copy of this machine's `node` binary;
//   3. the shared libraries `node` needs that the Velero image lacks (libstdc++, libgcc_s) are copied
//      next to it WITHOUT exec bits (Velero runs every executable file it finds in /plugins; the
//      Velero installer sets LD_LIBRARY_PATH=/plugins).
// Usage: node scripts/build-velero-plugin.mjs [OUT_DIR] [--max-glibc 2.35]   (default dist/velero-plugin)
//   --max-glibc V: fail when a shipped library needs a newer glibc than V (the Velero image's; the
//   libraries come from the build machine, so build on a distribution no newer than the image).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const maxAt = args.indexOf('--max-glibc');
const maxGlibc = maxAt >= 0 ? args.splice(maxAt, 2)[1] : undefined;
if (maxAt >= 0 && !/^2\.\d+$/.test(maxGlibc ?? '')) throw new Error('--max-glibc needs a version like 2.35');
const out = path.resolve(args[0] ?? path.join(repo, 'dist/velero-plugin'));
const work = path.join(out, '.build');
const entry = path.join(repo, 'dist/velero/sea-entry.js');
if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const t0 = Date.now();

const esbuild = await import('esbuild');
const bundle = path.join(work, 'plugin.cjs');
await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: bundle,
  // Native addon with a wasm fallback (src/model/hasher.ts): a SEA cannot load .node files.
  external: ['@node-rs/xxhash'],
  logLevel: 'warning',
  // import.meta.url is only read when SNAPSTREAM_PROTO_DIR is unset, which the SEA entry sets.
  logOverride: { 'empty-import-meta': 'silent' },
});

const assets = {};
const { SEA_PROTO_ASSETS } = await import(path.join(repo, 'dist/velero/sea-assets.js'));
for (const key of SEA_PROTO_ASSETS) {
  assets[key] = path.join(repo, 'proto', key);
}
const blob = path.join(work, 'sea-prep.blob');
writeFileSync(
  path.join(work, 'sea-config.json'),
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false, assets }, null, 1),
);
execFileSync(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')], { stdio: 'inherit' });

const exe = path.join(out, 'snapstream-velero-plugin');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(process.execPath, [path.join(repo, 'node_modules/postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});

// Libraries of `node` that a glibc-only image (paketo tiny) lacks.
const ldd = execFileSync('ldd', [exe], { encoding: 'utf8' });
const shipped = [];
for (const m of ldd.matchAll(/^\s*(\S+) => (\S+)/gm)) {
  const [, soname, file] = m;
  if (!/^lib(stdc\+\+|gcc_s)\.so/.test(soname)) continue;
  const dest = path.join(out, soname);
  copyFileSync(realpathSync(file), dest);
  chmodSync(dest, 0o644);
  const glibc = [...execFileSync('objdump', ['-T', dest], { encoding: 'utf8' }).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((x) => Number(x[1]) * 1000 + Number(x[2]));
  const max = Math.max(...glibc);
  shipped.push({ soname, from: realpathSync(file), needsGlibc: `2.${max % 1000}` });
  if (maxGlibc !== undefined && max % 1000 > Number(maxGlibc.split('.')[1])) {
    throw new Error(`${realpathSync(file)} needs GLIBC 2.${max % 1000}, newer than --max-glibc ${maxGlibc}: build on an older distribution`);
  }
}
rmSync(work, { recursive: true, force: true });
const size = (f) => statSync(path.join(out, f)).size;
const report = {
  executable: exe,
  bytes: size('snapstream-velero-plugin'),
  node: process.version,
  libraries: shipped.map((s) => ({ ...s, bytes: size(s.soname) })),
  seconds: (Date.now() - t0) / 1000,
};
writeFileSync(path.join(out, 'BUILD.json'), JSON.stringify(report, null, 1) + '\n');
chmodSync(path.join(out, 'BUILD.json'), 0o644);
console.log(JSON.stringify(report, null, 1));
