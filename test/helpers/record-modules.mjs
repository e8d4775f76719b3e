// Test-only preload (`node --import ./test/helpers/record-modules.mjs ...`): records every module the
// process loads into the file named by SNAPSTREAM_TEST_MODULES_FILE, one per line: ES modules as
// their resolved URL (a resolve hook, run in Node's hooks thread), CommonJS modules from
// require.cache at exit (Node 20 does not route require() through the hooks). Lets a test prove
// what a command does NOT load (test/integration/cli-s3-modules.test.ts).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.SNAPSTREAM_TEST_MODULES_FILE;
if (file) {
  register(new URL('./record-modules-hooks.mjs', import.meta.url), { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(file, Object.keys(cache).map((k) => `cjs ${k}\n`).join('')));
}
