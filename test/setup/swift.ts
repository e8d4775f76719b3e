/** The Swift+s3api part of the test environment, or SNAPSTREAM_TEST_SWIFT_ENDPOINT reused. */
import type { S3Endpoint } from '../helpers/test-env.js';
import { freePorts, onPath, secs, type Started } from './process.js';
import { reachable, runUpScript, s3FromEnv, upScriptLeftovers } from './s3-endpoint.js';

export async function upSwift(): Promise<Started<S3Endpoint>> {
  const given = s3FromEnv('SWIFT', 'swift', 'test:tester', 'testing');
  if (given) {
    await reachable(given.endpoint);
    return { value: given, note: `reusing ${given.endpoint} (SNAPSTREAM_TEST_SWIFT_ENDPOINT)` };
  }
  const missing = ['swift-proxy-server', 'swift-object-server', 'swift-container-server', 'swift-account-server'].filter(
    (b) => !onPath(b),
  );
  if (missing.length) {
    throw new Error(`not installed: ${missing.join(', ')} (apt-get install swift-proxy swift-account swift-container swift-object)`);
  }
  const t0 = performance.now();
  const ports = (await freePorts(5)).map(String);
  const { url, teardown } = await runUpScript('swift', 's', ports, 180_000);
  return {
    value: { endpoint: url, region: 'us-east-1', accessKeyId: 'test:tester', secretAccessKey: 'testing', name: 'swift' },
    teardown,
    note: `started on ${url} in ${secs(t0)}${onPath('memcached') ? '' : ' (no memcached: slower)'}`,
  };
}

export const swiftLeftovers = upScriptLeftovers('swift', 's');
