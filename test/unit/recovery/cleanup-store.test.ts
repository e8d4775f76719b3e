import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupStore } from '../../../src/recovery/cleanup-store.js';
import { inFlight } from '../../../src/recovery/in-flight.js';
import { LocalStore } from '../../../src/store/local/local-store.js';

/** The store side of recovery on a real local directory (the local store's temp files are its uploads). */
const log = pino({ level: 'silent' });
let dir: string;
const old = new Date(Date.now() - 2 * 3600 * 1000);

function file(rel: string, mtime?: Date): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, 'x');
  if (mtime) utimesSync(p, mtime, mtime);
  return p;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'snapstream-cleanup-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cleanupStore (local store)', () => {
  it('removes old temp files below backups/, keeps those a fresh progress record names, removes stale records after their upload', async () => {
    const plain = file('backups/b1/.v-b1.snapstream-partial-0123456789ab', old);
    const resumable = file('backups/b2/.v-b2.snapstream-partial-aaaaaaaaaaaa', old);
    file('backups/b2/v-b2.snapstream-progress.json'); // fresh: b2 may be resumed
    const staleUpload = file('backups/b3/.v-b3.snapstream-partial-bbbbbbbbbbbb', old);
    const staleRecord = file('backups/b3/v-b3.snapstream-progress.json', old);
    const outside = file('other/.x.snapstream-partial-cccccccccccc', old); // not this location's backups/
    const store = new LocalStore(dir);
    const dry = await cleanupStore(store, { prefix: 'backups/', graceSeconds: 3600, dryRun: true, log });
    expect(dry.filter((e) => e.action === 'would-remove').map((e) => e.key).sort()).toEqual([
      'backups/b1/.v-b1.snapstream-partial-0123456789ab',
      'backups/b3/.v-b3.snapstream-partial-bbbbbbbbbbbb',
      'backups/b3/v-b3.snapstream-progress.json',
    ]);
    expect([plain, resumable, staleUpload, staleRecord].every((p) => existsSync(p))).toBe(true);
    const done = await cleanupStore(store, { prefix: 'backups/', graceSeconds: 3600, log });
    expect(done).toContainEqual(expect.objectContaining({ kind: 'upload', key: 'backups/b2/.v-b2.snapstream-partial-aaaaaaaaaaaa', action: 'kept' }));
    expect(existsSync(plain)).toBe(false);
    expect(existsSync(staleUpload)).toBe(false);
    expect(existsSync(staleRecord)).toBe(false);
    expect(existsSync(resumable)).toBe(true);
    expect(existsSync(outside)).toBe(true);
  });

  it('never removes the upload of a job running in this process, whatever its age', async () => {
    const running = file('backups/b4/.v-b4.snapstream-partial-dddddddddddd', old);
    const release = inFlight.claim('key', 'backups/b4/v-b4');
    try {
      const r = await cleanupStore(new LocalStore(dir), { prefix: 'backups/', graceSeconds: 60, log });
      expect(r).toEqual([expect.objectContaining({ action: 'kept' })]);
      expect(existsSync(running)).toBe(true);
    } finally {
      release();
    }
    await cleanupStore(new LocalStore(dir), { prefix: 'backups/', graceSeconds: 60, log });
    expect(existsSync(running)).toBe(false);
  });
});
