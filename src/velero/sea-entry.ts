import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SEA_PROTO_ASSETS } from './sea-assets.js';


/**
 * Entry point of the single executable (Node SEA) that goes into Velero's /plugins: it has no
 * package directory, so the embedded protos are written to a private directory first (0700, removed
 * at exit), then the plugin runs as `snapstream velero-plugin` does.
 */
async function seaMain(): Promise<void> {
  const sea = (await import('node:sea')) as unknown as { isSea(): boolean; getAsset(key: string, encoding: string): string };
  const dir = mkdtempSync(path.join(process.env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), 'snapstream-proto-'));
  chmodSync(dir, 0o700);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const key of SEA_PROTO_ASSETS) {
    const file = path.join(dir, key);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, sea.getAsset(key, 'utf8'), { mode: 0o600 });
  }
  process.env.SNAPSTREAM_PROTO_DIR = dir;
  process.env.SNAPSTREAM_PLUGIN_COMMAND ??= process.execPath;
  // SEA: argv is [executable, executable, ...host flags].
  // Imported only now: modules that locate protos do so when they load.
  const { veleroPluginCommand } = await import('./velero-plugin-command.js');
  const code = await veleroPluginCommand(process.argv.slice(2));
  process.exitCode = code;
}

void seaMain();
