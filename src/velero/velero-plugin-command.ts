import { toSnapstreamError } from '../errors.js';
import { servePlugin } from './go-plugin-server.js';
import { createPluginLogger, logLevelFromArgs } from './plugin-logger.js';
import { pluginNames } from './plugin-names.js';
import { volumeSnapshotterService } from './volume-snapshotter-service.js';

export const VELERO_PLUGIN_HELP = `Usage: snapstream velero-plugin

Serves snapstream as a Velero VolumeSnapshotter plugin (hashicorp/go-plugin over gRPC). Velero runs
it from its plugin directory with VELERO_PLUGIN=hello; see docs/velero-plugin.md. Flags the host
appends (--log-level, --features, ...) are accepted; only --log-level is used.

Environment:
  SNAPSTREAM_VELERO_PLUGIN_NAMES  names to register (default snapstream.io/zfs; "openebs" answers
                                  openebs.io/cstor-blockstore and openebs.io/zfspv-blockstore)
  SNAPSTREAM_AGENTS, SNAPSTREAM_AGENT_DISCOVERY, SNAPSTREAM_KUBECONFIG, SNAPSTREAM_TLS_CA/CERT/KEY,
  SNAPSTREAM_TARGET_IP, SNAPSTREAM_TARGET_IP_NAMESPACE, SNAPSTREAM_RATE_LIMIT
                                  defaults for the plugin's VolumeSnapshotLocation config keys
`;

/**
 * `snapstream velero-plugin`: stdout carries the go-plugin handshake line and nothing else, so
 * anything a library prints there is redirected to stderr first; logs are go-hclog JSON on stderr.
 */
export async function veleroPluginCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') && process.env.VELERO_PLUGIN === undefined) {
    process.stdout.write(VELERO_PLUGIN_HELP);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const toStderr = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  process.stdout.write = toStderr;
  console.log = console.error;
  console.info = console.error;
  const log = createPluginLogger(logLevelFromArgs(argv));
  const ac = new AbortController();
  try {
    const names = pluginNames();
    const plugin = await servePlugin({
      plugins: names.map((name) => ({ kind: 'VolumeSnapshotter', name })),
      volumeSnapshotter: volumeSnapshotterService(names, { log }, ac.signal),
      command: pluginCommand(),
      log,
    });
    const onSignal = () => void plugin.stop();
    process.once('SIGTERM', onSignal);
    await plugin.stopped;
    process.off('SIGTERM', onSignal);
    ac.abort(new Error('plugin shutting down'));
    // Agent channels and store sockets may linger; the host kills us anyway 2 s after Shutdown.
    setTimeout(() => process.exit(0), 200).unref();
    return 0;
  } catch (e) {
    const err = toSnapstreamError(e);
    // Run by hand (no plugin host): a plain line for a person; under a host: a log line it parses.
    if (process.env.VELERO_PLUGIN === undefined) process.stderr.write(`snapstream velero-plugin: ${err.message}\n`);
    else log.error({ code: err.code }, err.message);
    return 1;
  }
}

/**
 * The path Velero must exec to start this plugin again (ListPlugins reports it and Velero's registry
 * runs exactly that): the script for `node script.js`, the executable itself for the single
 * executable (whose argv[1] repeats argv[0]).
 */
function pluginCommand(): string {
  const fromEnv = process.env.SNAPSTREAM_PLUGIN_COMMAND;
  if (fromEnv) return fromEnv;
  const script = process.argv[1];
  return script !== undefined && script !== '' && !script.endsWith('/node') ? script : process.execPath;
}
