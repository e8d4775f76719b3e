/** The firebase-tools Storage emulator part of the test environment, or SNAPSTREAM_TEST_GCS_HOST reused. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { GcsEmulator } from '../helpers/test-env.js';
import { freePorts, ROOT, SCRIPTS, secs, type Started, stopChild, type Teardown, waitReady } from './process.js';
import { type LeftoverCleaner, makeRunDir } from './run-dirs.js';
import { reachable } from './s3-endpoint.js';

export async function upGcs(): Promise<Started<GcsEmulator>> {
  const projectId = process.env.SNAPSTREAM_TEST_GCS_PROJECT ?? 'demo-test';
  const given = process.env.SNAPSTREAM_TEST_GCS_HOST;
  if (given) {
    await reachable(given);
    return { value: { emulatorHost: given, projectId }, note: `reusing ${given} (SNAPSTREAM_TEST_GCS_HOST)` };
  }
  if (!existsSync(path.join(ROOT, 'test/servers/gcs-emulator/node_modules/firebase-tools/package.json'))) {
    throw new Error('firebase-tools is not installed: run `npm ci --prefix test/servers/gcs-emulator`');
  }
  const t0 = performance.now();
  const [port] = await freePorts(1);
  const dir = await makeRunDir('gcs');
  // Own TMPDIR: the emulator keeps blobs in os.tmpdir()/firebase/storage/blobs and deletes that
  // whole directory when it stops, which would hit any other emulator on the machine.
  const child = spawn(process.execPath, [path.join(SCRIPTS, 'gcs-emulator.cjs')], {
    env: { ...process.env, PORT: String(port), PROJECT: projectId, TMPDIR: dir, EXIT_ON_STDIN_END: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stop: Teardown = async () => {
    await stopChild(child, 15_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const url = await waitReady(child, 'gcs emulator', 90_000);
    return { value: { emulatorHost: url, projectId }, teardown: stop, note: `started on ${url} in ${secs(t0)}` };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A dead run's emulator dir holds only blobs (the emulator exits when its stdin, our pipe, ends). */
export const gcsLeftovers: LeftoverCleaner = {};
