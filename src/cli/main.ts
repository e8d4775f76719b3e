import { ExitCode, exitCodeFor, toSnapstreamError } from '../errors.js';
import { printableLine } from '../printable.js';
import { VERSION } from '../version.js';
import { redactText } from '../redact.js';
import { locationForms } from '../store/store-registry.js';

const HELP = `snapstream ${VERSION}: stream ZFS snapshots to object storage and back, verified end to end.

Usage: snapstream COMMAND [options]     (snapstream COMMAND --help for each)

Commands:
  backup    POOL/DS@SNAP --to LOCATION [--from SNAP]   back up a snapshot (full or incremental)
  restore   --from LOCATION --backup B --volume V --target POOL/DS [--chain]
  ls        LOCATION                                  list committed backups
  verify    LOCATION --backup B --volume V | --all    check every hash without restoring
  cat       --from LOCATION --backup B --volume V      verified (decrypted) stream to stdout: | zfs recv
  keygen    --out DIR                                 create a signing key pair and an encryption key
  delete    LOCATION --backup B --volume V            delete one backup
  cleanup   [LOCATION] [--pool P | --dataset DS]      remove what interrupted runs left (uploads, staging datasets)
  gc        LOCATION [--grace 24h] [--dry-run]        delete deduplicated segments no backup references
  agent     run the node agent (gRPC API for the operator)
  controller --config FILE --agent HOST:PORT         run schedules: snapshot, back up, clean up, expire
  schedule  ls --config FILE                          schedules: last/next run, last result, backups
  velero-plugin                                       serve the Velero VolumeSnapshotter plugin (Velero runs it)
  version   print the version

Locations: ${locationForms(', ')},
or a VolumeSnapshotLocation YAML file (vsl.yaml, or vsl.yaml#NAME when it holds several): its
disableIncrementalBackups / restoreAllIncrementalSnapshots / autoSetTargetIP then apply.
Keys (see docs/security.md): --signing-key, --trusted-key, --encryption-key on backup/restore/verify/ls/cat.
Exit status: 0 ok, 1 failure, 2 usage or configuration error, 3 integrity or authentication failure,
130 interrupted.
`;

type Command = (argv: string[]) => Promise<number>;

// Every command is imported when it runs, so a run loads only its own modules (`version` none).
const COMMANDS: Record<string, Command> = {
  backup: async (argv) => (await import('./commands/backup.js')).backupCommand(argv),
  restore: async (argv) => (await import('./commands/restore.js')).restoreCommand(argv),
  ls: async (argv) => (await import('./commands/ls.js')).lsCommand(argv),
  verify: async (argv) => (await import('./commands/verify.js')).verifyCommand(argv),
  delete: async (argv) => (await import('./commands/delete.js')).deleteCommand(argv),
  cat: async (argv) => (await import('./commands/cat.js')).catCommand(argv),
  keygen: async (argv) => (await import('./commands/keygen.js')).keygenCommand(argv),
  cleanup: async (argv) => (await import('./commands/cleanup.js')).cleanupCommand(argv),
  gc: async (argv) => (await import('./commands/gc.js')).gcCommand(argv),
  agent: async (argv) => (await import('./agent-command.js')).agentCommand(argv),
  controller: async (argv) => (await import('./commands/controller.js')).controllerCommand(argv),
  schedule: async (argv) => (await import('./commands/schedule.js')).scheduleCommand(argv),
  'velero-plugin': async (argv) => (await import('../velero/velero-plugin-command.js')).veleroPluginCommand(argv),
  version: async () => {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  },
};

/** Runs the CLI; returns the exit status. Errors print one line naming what failed and what to do. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name ? ExitCode.OK : ExitCode.USAGE;
  }
  if (name === '--version') return COMMANDS.version!([]);
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`snapstream: unknown command "${name}" (see "snapstream --help")\n`);
    return ExitCode.USAGE;
  }
  try {
    return await cmd(rest);
  } catch (e) {
    const err = toSnapstreamError(e);
    // Redacted (secrets) and escaped (messages can quote bucket-held keys): never raw to the terminal.
    process.stderr.write(`snapstream ${name}: error ${err.code}: ${printableLine(redactText(err.message))}\n`);
    return exitCodeFor(err.code);
  }
}
