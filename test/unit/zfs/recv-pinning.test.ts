import { describe, expect, it } from 'vitest';
import { NO_RECV_PINNING, parseRecvSupport, recvPinArgs } from '../../../src/zfs/recv-pinning.js';

// `zfs recv` without arguments, as OpenZFS 2.2 and zfs-fuse 0.7 print it.
const OPENZFS = `missing snapshot argument
usage:
\treceive [-vMnsFhu] [-o <property>=<value>] ... [-x <property>] ...
\t    <filesystem|volume|snapshot>
\treceive [-vMnsFhu] [-o <property>=<value>] ... [-x <property>] ...
\t    [-d | -e] <filesystem>
\treceive -A <filesystem|volume>
`;
const ZFS_FUSE = `missing snapshot argument
usage:
\treceive [-vnF] <filesystem|volume|snapshot>
\treceive [-vnF] -d <filesystem>
`;

describe('zfs recv pinning', () => {
  it('OpenZFS: -u, mountpoint not taken from the stream, setuid/devices off, exec per policy', () => {
    const s = parseRecvSupport(OPENZFS);
    expect(s).toEqual({ noMount: true, setProperty: true, excludeProperty: true });
    expect(recvPinArgs(s)).toEqual(['-u', '-x', 'mountpoint', '-o', 'setuid=off', '-o', 'devices=off', '-x', 'exec']);
    expect(recvPinArgs(s, 'off')).toEqual(['-u', '-x', 'mountpoint', '-o', 'setuid=off', '-o', 'devices=off', '-o', 'exec=off']);
  });

  it('zfs-fuse has nothing to pin with (the stream check protects it)', () => {
    expect(parseRecvSupport(ZFS_FUSE)).toEqual(NO_RECV_PINNING);
    expect(recvPinArgs(NO_RECV_PINNING)).toEqual([]);
  });
});
