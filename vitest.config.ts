import { defineConfig } from 'vitest/config';

// Two tiers. Unit tests (test/unit/**) use no servers and run in parallel. Everything else under
// test/ is the integration tier: its globalSetup (test/setup/global-setup.ts) brings up zfs-fuse,
// radosgw, Swift and the GCS emulator once, and its files run one at a time, because the machine
// has 2 cores shared by the test workers, the object-store servers and zfs-fuse.
// `vitest run test/unit` starts no servers: a project's globalSetup runs only if it has files to run.
// The AWS SDK prints a multi-line Node 20 end-of-life warning on import in every worker; bin/snapstream.js
// mutes it the same way for users.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1' };

export default defineConfig({
  test: {
    // vitest's close() gives teardown this long before it exits the process; stopping Ceph, Swift
    // and zfs-fuse cleanly takes longer than the 10 s default.
    teardownTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          env,
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**', 'test/servers/**'],
          globalSetup: ['test/setup/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
