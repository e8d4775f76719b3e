/**
 * The same contract against MinIO and fake-gcs-server, started through testcontainers where a Docker
 * engine is reachable. Machines without one (like the CI machines of this project) skip both suites
 * with the reason in their names; nothing here is required by SNAPSTREAM_REQUIRE_INTEGRATION.
 */
import { existsSync } from 'node:fs';
import type { StartedMinioContainer } from '@testcontainers/minio';
import type { StartedCloudStorageEmulatorContainer } from '@testcontainers/gcloud';
import { afterAll } from 'vitest';
import { runObjectStoreContract } from './object-store-contract.js';
import { gcsTarget, s3Target } from './store-factories.js';

// Pinned so a new server release cannot change the verdicts silently.
const MINIO_IMAGE = 'minio/minio:RELEASE.2024-12-13T22-19-12Z';
const FAKE_GCS_IMAGE = 'fsouza/fake-gcs-server:1.52.2';

const noDocker = await dockerUnavailable();
const started: { stop(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((c) => c.stop()));
}, 60_000);

runObjectStoreContract(
  'ObjectStore contract: S3 on MinIO (testcontainers)',
  async () => {
    const { MinioContainer } = await import('@testcontainers/minio');
    const c: StartedMinioContainer = await new MinioContainer(MINIO_IMAGE).start();
    started.push(c);
    return s3Target(
      { name: 'radosgw', endpoint: c.getConnectionUrl(), region: 'us-east-1', accessKeyId: c.getUsername(), secretAccessKey: c.getPassword() },
      'minio',
    );
  },
  { skip: noDocker },
);

runObjectStoreContract(
  'ObjectStore contract: GCS parallel (compose) upload on fake-gcs-server (testcontainers)',
  async () => {
    const { CloudStorageEmulatorContainer } = await import('@testcontainers/gcloud');
    const c: StartedCloudStorageEmulatorContainer = await new CloudStorageEmulatorContainer(FAKE_GCS_IMAGE).start();
    started.push(c);
    // This file runs in its own worker, so the variable cannot leak into the firebase emulator's suites.
    process.env.STORAGE_EMULATOR_HOST = c.getEmulatorEndpoint();
    return gcsTarget({ parallelUpload: true, projectId: 'demo-test', createBucket: true });
  },
  {
    skip: noDocker,
    unsupported: {
      deniedIsPermanent: 'fake-gcs-server does not check credentials',
      resumeUpload: 'not built for compose uploads yet (their temporary part objects could be listed)',
    },
  },
);

/** Why MinIO and fake-gcs-server cannot run here, or undefined when a Docker engine answers. */
async function dockerUnavailable(): Promise<string | undefined> {
  const socket = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : existsSync('/var/run/docker.sock') ? '/var/run/docker.sock exists' : 'DOCKER_HOST unset, no /var/run/docker.sock';
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
  } catch (e) {
    // testcontainers 12 pulls in undici 8, which needs Node >= 22.19 (zlib zstd); Node 20 fails on import.
    return `testcontainers cannot load on Node ${process.version} (needs Node >= 22.19): ${(e as Error).message}; ${socket}`;
  }
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 15 s')), 15_000).unref());
    await Promise.race([tc.getContainerRuntimeClient(), timeout]);
    return undefined;
  } catch (e) {
    return `no Docker engine reachable (${socket}): ${(e as Error).message.split('\n')[0]}`;
  }
}
