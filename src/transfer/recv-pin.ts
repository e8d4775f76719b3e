import type { DatasetName } from '../zfs/names.js';
import { recvPinArgs } from '../zfs/recv-pinning.js';
import type { Zfs } from '../zfs/zfs.js';

/** The pinning a restore applies to every `zfs recv` it runs (empty on zfs-fuse). */
export interface RecvPin {
  args: readonly string[];
  /** The receive ran with -u: the restore mounts the dataset itself at the end. */
  unmounted: boolean;
}

export async function recvPinFor(zfs: Zfs, signal?: AbortSignal): Promise<RecvPin> {
  const args = recvPinArgs(await zfs.recvSupport(signal));
  return { args, unmounted: args.includes('-u') };
}

/**
 * After a receive with -u, mounts the restored filesystem where its (pinned, inherited) mountpoint
 * says, as a plain `zfs recv` would have; zvols and canmount=off/noauto datasets stay as they are.
 */
export async function mountIfPinned(zfs: Zfs, target: DatasetName, pin: RecvPin, signal?: AbortSignal): Promise<void> {
  if (!pin.unmounted) return;
  if ((await zfs.getProperty(target, 'type', undefined, signal)) !== 'filesystem') return;
  if ((await zfs.getProperty(target, 'canmount', undefined, signal)) !== 'on') return;
  if ((await zfs.getProperty(target, 'mounted', undefined, signal)) === 'yes') return;
  await zfs.run(['mount', target], signal);
}
