#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (`npm ci` runs it through `prepare`).
// Node 20 is end-of-life; the AWS SDK warns about it on every run. README documents the Node policy
// (>= 20.10 works, 22+ recommended, the image uses 24), so the repeated warning is muted here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
