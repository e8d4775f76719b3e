/** The Ceph radosgw part of the test environment (memstore OSD), or SNAPSTREAM_TEST_S3_ENDPOINT reused. */
import type { S3Endpoint } from '../helpers/test-env.js';
import { freePorts, onPath, secs, type Started } from './process.js';
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
  const [rgwPort, monPort] = await freePorts(2);
  const { url, teardown } = await runUpScript('ceph', 'c', [String(rgwPort), String(monPort), String(CEPH_MEM_BYTES)], 300_000);
  return {
    value: { endpoint: url, region: 'us-east-1', accessKeyId: 'TESTAK', secretAccessKey: 'TESTSK', name: 'radosgw' },
    teardown,
    note: `started on ${url} in ${secs(t0)}`,
  };
}

export const radosgwLeftovers = upScriptLeftovers('ceph', 'c');
