/** The Ceph radosgw part of the test environment (memstore OSD), or SNAPSTREAM_TEST_S3_ENDPOINT reused. */
import type { S3Endpoint } from '../helpers/test-env.js';
import { freePorts, log, onPath, secs, type Started } from './process.js';
import { reachable, runUpScript, s3FromEnv, upScriptLeftovers } from './s3-endpoint.js';

const CEPH_MEM_BYTES = 3 * 1024 ** 3;

export async function upRadosgw(): Promise<Started<S3Endpoint>> {
  const given = s3FromEnv('S3', 'radosgw', 'TESTAK', 'TESTSK');
  if (given) {
    await reachable(given.endpoint);
    return { value: given, note: `reusing ${given.endpoint} (SNAPSTREAM_TEST_S3_ENDPOINT)` };
  }
  const missing = ['radosgw', 'ceph-mon', 'ceph-osd', 'monmaptool'].filter((b) => !onPath(b));
  if (missing.length) throw new Error(`not installed: ${missing.join(', ')} (apt-get install radosgw ceph-mon ceph-osd)`);
  const t0 = performance.now();
  // A fresh single-node cluster now and then fails to form: the OSD's first commands are refused by
  // the mon ("wrong fsid", seen in CI and on a helper's bench with no other cluster running), and no
  // restart of that OSD recovers. Starting a whole new cluster (new dir, fsid, ports) is what worked
  // where it was seen, so one more attempt is made before the component counts as missing; both
  // failures are reported.
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const [rgwPort, monPort] = await freePorts(2);
    try {
      const { url, teardown } = await runUpScript('ceph', 'c', [String(rgwPort), String(monPort), String(CEPH_MEM_BYTES)], 300_000);
      return {
        value: { endpoint: url, region: 'us-east-1', accessKeyId: 'TESTAK', secretAccessKey: 'TESTSK', name: 'radosgw' },
        teardown,
        note: `started on ${url} in ${secs(t0)}${attempt > 1 ? ` (attempt ${attempt}; the first failed: ${firstLine(failures[0]!)})` : ''}`,
      };
    } catch (e) {
      failures.push((e as Error).message);
      if (attempt < 2) log(`radosgw: a fresh cluster did not form; starting another one from scratch (${firstLine((e as Error).message)})`);
    }
  }
  throw new Error(failures.map((f, i) => `attempt ${i + 1}: ${f}`).join('\n'));
}

function firstLine(s: string): string {
  const lines = s.split('\n').filter((l) => /fail|error|wrong|refused|timed out/i.test(l));
  return (lines.at(-1) ?? s.split('\n')[0] ?? '').trim().slice(0, 200);
}

export const radosgwLeftovers = upScriptLeftovers('ceph', 'c');
