#!/usr/bin/env node
// Test-only: firebase-tools' Cloud Storage emulator (pure Node) without its Java rules runtime, so it
// starts offline. The GCS JSON API (/storage/v1, /upload/storage/v1) goes through the admin layer,
// which needs no rules.
//
//   PORT=9199 PROJECT=demo-test [HOST=127.0.0.1] node scripts/test-env/gcs-emulator.cjs
//
// Prints "READY http://HOST:PORT" once listening. SIGTERM/SIGINT stop it and delete its blobs.
// Blobs live under os.tmpdir()/firebase/storage/blobs, a path every emulator on the machine would
// share (and delete on stop): give each instance its own TMPDIR.
//
// firebase-tools comes from test/servers/gcs-emulator (npm ci --prefix test/servers/gcs-emulator),
// pinned to an exact version there because this reaches into its internals.
'use strict';
const path = require('node:path');
const { createRequire } = require('node:module');

const emulatorPkg = path.resolve(__dirname, '../../test/servers/gcs-emulator/package.json');
const req = createRequire(emulatorPkg);
let StorageEmulator, EmulatorRegistry;
try {
  ({ StorageEmulator } = req('firebase-tools/lib/emulator/storage'));
  ({ EmulatorRegistry } = req('firebase-tools/lib/emulator/registry'));
} catch (e) {
  console.error(`firebase-tools is not installed: run \`npm ci --prefix test/servers/gcs-emulator\` (${e.message})`);
  process.exit(2);
}

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 9199);
const emu = new StorageEmulator({
  projectId: process.env.PROJECT || 'demo-test',
  host,
  port,
  rules: { name: '/dev/null', content: '' },
  auto_download: false,
});
// The rules runtime is a Java jar it would download; only Firebase-rules (client SDK) calls need it.
emu._rulesRuntime.start = async () => {};
emu._rulesRuntime.stop = async () => {};
emu._rulesManager.start = async () => [];
emu._rulesManager.stop = async () => {};

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  emu.stop().catch(() => {}).finally(() => process.exit(0));
}
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, stop);
// Started by the test runner with a stdin pipe: if the runner dies, the pipe closes; do not outlive it.
if (process.env.EXIT_ON_STDIN_END === '1') {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

EmulatorRegistry.start(emu).then(
  () => console.log(`READY http://${host}:${port}`),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
