#!/usr/bin/env node
// Development launcher of the Velero plugin (`snapstream velero-plugin`) for a plugin directory on a
// machine with Node; the Velero image gets the single executable instead (docs/velero-plugin.md).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { veleroPluginCommand } = await import('../dist/velero/velero-plugin-command.js');
process.exitCode = await veleroPluginCommand(process.argv.slice(2));
