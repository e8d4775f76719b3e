/**
 * vitest globalSetup of the integration tier: brings up zfs-fuse pool, Ceph radosgw, Swift+s3api and
 * the GCS emulator (in parallel), provides `testEnv`, and tears down only what it started.
 * The contract is documented at the top of test/helpers/test-env.ts.
 *
 * One file per service (zfs.ts, radosgw.ts, swift.ts, gcs-emulator.ts; s3-endpoint.ts is what the two
 * S3 servers share, process.ts and run-dirs.ts what all share); this file only composes them.
 *
 * Runs in vitest's main process (not a test worker): no `vitest` runtime imports here.
 */
import type { TestProject } from 'vitest/node';
import type { Part, TestEnv } from '../helpers/test-env.js';
import { gcsLeftovers, upGcs } from './gcs-emulator.js';
import { log, secs, type Started, type Teardown } from './process.js';
import { radosgwLeftovers, upRadosgw } from './radosgw.js';
import { cleanLeftovers } from './run-dirs.js';
import { swiftLeftovers, upSwift } from './swift.js';
import { upZfs, zfsDaemonLeftovers, zfsLeftovers } from './zfs.js';

function requested(): Set<Part> {
  const all: Part[] = ['zfs', 's3', 'swift', 'gcs'];
  const only = process.env.SNAPSTREAM_TEST_ONLY;
  if (!only) return new Set(all);
  const parts = only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!all.includes(p as Part)) throw new Error(`SNAPSTREAM_TEST_ONLY: unknown part "${p}" (use ${all.join(',')})`);
  return new Set(parts as Part[]);
}

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length), 60);
  const bar = '!'.repeat(width + 4);
  return ['', bar, ...lines.map((l) => `! ${l.padEnd(width)} !`), bar, ''].join('\n');
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const t0 = performance.now();
  const want = requested();
  const required = process.env.SNAPSTREAM_REQUIRE_INTEGRATION === '1';
  await cleanLeftovers({ ceph: radosgwLeftovers, swift: swiftLeftovers, zfs: zfsLeftovers, zfsd: zfsDaemonLeftovers, gcs: gcsLeftovers });

  const env: TestEnv = { missing: [] };
  const teardowns: Teardown[] = [];
  const failures: string[] = [];
  const notes: string[] = [];

  const attempt = async <T>(part: Part, label: string, up: () => Promise<Started<T>>, use: (v: T) => void) => {
    if (!want.has(part)) {
      env.missing.push(`${part}: not requested (SNAPSTREAM_TEST_ONLY=${process.env.SNAPSTREAM_TEST_ONLY})`);
      return;
    }
    try {
      const s = await up();
      use(s.value);
      if (s.teardown) teardowns.push(s.teardown);
      notes.push(`${label}: ${s.note}`);
    } catch (e) {
      const reason = `${part} (${label}): ${(e as Error).message}`;
      env.missing.push(reason);
      failures.push(reason);
    }
  };

  log('bringing up zfs pool, radosgw, swift, gcs emulator (in parallel)...');
  await Promise.all([
    attempt('zfs', 'zfs-fuse', upZfs, (v) => {
      env.zfsPool = v.pool;
      env.zfsMount = v.mount;
    }),
    attempt('s3', 'radosgw', upRadosgw, (v) => (env.s3 = v)),
    attempt('swift', 'swift+s3api', upSwift, (v) => (env.swift = v)),
    attempt('gcs', 'gcs emulator', upGcs, (v) => (env.gcs = v)),
  ]);
  for (const n of notes) log(n);
  log(`test environment ready in ${secs(t0)}`);

  const teardown: Teardown = async () => {
    const t1 = performance.now();
    // In parallel: each component's teardown is independent of the others.
    const results = await Promise.allSettled(teardowns.map((t) => t()));
    for (const r of results) if (r.status === 'rejected') log(`teardown failed: ${(r.reason as Error).message}`);
    log(`test environment torn down in ${secs(t1)}`);
  };

  if (failures.length > 0) {
    if (required) {
      await teardown();
      throw new Error(
        `SNAPSTREAM_REQUIRE_INTEGRATION=1 and ${failures.length} component(s) did not come up:\n${failures.join('\n\n')}`,
      );
    }
    process.stderr.write(
      banner([
        'INTEGRATION ENVIRONMENT INCOMPLETE: tests that need these parts will be SKIPPED',
        ...failures.flatMap((f) => f.split('\n').slice(0, 6)),
        'Install/start them (see .ci/run), or set SNAPSTREAM_REQUIRE_INTEGRATION=1 to fail instead.',
      ]),
    );
  }
  project.provide('testEnv', env);
  return teardown;
}
