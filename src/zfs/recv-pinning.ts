/**
 * What `zfs recv` on this host can pin, read from its usage text once. OpenZFS prints
 * `receive [-vMnsFhu] [-o <property>=<value>] ... [-x <property>] ...`; zfs-fuse only
 * `receive [-vnF]`, where the stream check (zstream/stream-head.ts) is the only protection.
 */
export interface RecvSupport {
  /** -u: do not mount the received filesystem. */
  noMount: boolean;
  /** -o property=value: override a property for the received dataset. */
  setProperty: boolean;
  /** -x property: ignore a property the stream carries (the dataset inherits it). */
  excludeProperty: boolean;
}

export const NO_RECV_PINNING: RecvSupport = { noMount: false, setProperty: false, excludeProperty: false };

export function parseRecvSupport(usage: string): RecvSupport {
  const line = usage.split('\n').find((l) => /^\s*(receive|recv)\b/.test(l)) ?? '';
  const flags = /\[-([A-Za-z]+)\]/.exec(line)?.[1] ?? '';
  return {
    noMount: flags.includes('u'),
    setProperty: /\[-o\s/.test(line),
    excludeProperty: /\[-x\s/.test(line),
  };
}

/** How the received dataset's exec property is pinned: "off", or inherited from its parent. */
export type ExecPolicy = 'off' | 'inherit';

/**
 * Arguments that keep the stream from deciding where or how the received dataset is mounted:
 * not mounted during the receive (-u), mountpoint inherited from the parent whatever the stream
 * says (-x mountpoint), setuid and devices off (-o), exec off or inherited. Only options this zfs
 * has; snapstream mounts the dataset itself afterwards, with the pinned properties in place.
 */
export function recvPinArgs(s: RecvSupport, exec: ExecPolicy = 'inherit'): string[] {
  const args: string[] = [];
  if (s.noMount) args.push('-u');
  if (s.excludeProperty) args.push('-x', 'mountpoint');
  if (s.setProperty) args.push('-o', 'setuid=off', '-o', 'devices=off');
  if (exec === 'off' && s.setProperty) args.push('-o', 'exec=off');
  else if (exec === 'inherit' && s.excludeProperty) args.push('-x', 'exec');
  return args;
}
