/**
 * What the S3-compatible servers of the test environment (radosgw, Swift+s3api) share: reuse from
 * SNAPSTREAM_TEST_<S3|SWIFT>_* variables, the reachability probe, and the up/down scripts of
 * scripts/test-env whose last stdout line is "READY <url>".
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Endpoint } from '../helpers/test-env.js';
import { type LeftoverCleaner, makeRunDir } from './run-dirs.js';
import { log, run, SCRIPTS, tail, type Teardown } from './process.js';

export function s3FromEnv(prefix: 'S3' | 'SWIFT', name: S3Endpoint['name'], key: string, secret: string): S3Endpoint | undefined {
  const endpoint = process.env[`SNAPSTREAM_TEST_${prefix}_ENDPOINT`];
  if (!endpoint) return undefined;
  return {
    endpoint,
    region: process.env[`SNAPSTREAM_TEST_${prefix}_REGION`] ?? 'us-east-1',
    accessKeyId: process.env[`SNAPSTREAM_TEST_${prefix}_KEY`] ?? key,
    secretAccessKey: process.env[`SNAPSTREAM_TEST_${prefix}_SECRET`] ?? secret,
    name,
  };
}

/** Any HTTP answer counts (S3 servers answer 403 to anonymous requests). */
export async function reachable(url: string): Promise<void> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await r.arrayBuffer();
  } catch (e) {
    throw new Error(`${url} is not reachable: ${(e as Error).message}`);
  }
}

/** Runs an up-script whose last stdout line is "READY <url> ..."; the down-script undoes it. */
export async function runUpScript(kind: 'ceph' | 'swift', sub: string, args: string[], timeoutMs: number) {
  const dir = await makeRunDir(kind);
  const state = path.join(dir, sub);
  const down: Teardown = async () => {
    const r = await run('bash', [path.join(SCRIPTS, `${kind}-down.sh`), state], 120_000);
    if (r.code !== 0) log(`${kind}-down.sh: ${tail(r.stderr, 10)}`);
    await rm(dir, { recursive: true, force: true });
  };
  const r = await run('bash', [path.join(SCRIPTS, `${kind}-up.sh`), state, ...args], timeoutMs);
  const url = /^READY (\S+)/m.exec(r.stdout)?.[1];
  if (r.code !== 0 || !url) {
    await down();
    throw new Error(`${kind}-up.sh exited ${r.code}:\n${tail(r.stderr, 40)}`);
  }
  return { url, teardown: down };
}

/** A dead run's dir of an up-script: its down-script stops what is left. */
export function upScriptLeftovers(kind: 'ceph' | 'swift', sub: string): LeftoverCleaner {
  return { clean: async (dir) => void (await run('bash', [path.join(SCRIPTS, `${kind}-down.sh`), path.join(dir, sub)], 60_000)) };
}
