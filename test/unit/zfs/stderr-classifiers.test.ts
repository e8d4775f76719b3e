import { describe, expect, it } from 'vitest';
import { SnapstreamError } from '../../../src/errors.js';
import { checkExit } from '../../../src/exec/owned-process.js';
import {
  datasetBusy,
  datasetExists,
  datasetNotFound,
  optionUnsupported,
  snapshotExists,
  stderrOf,
  zfsFailedWith,
} from '../../../src/zfs/stderr-classifiers.js';

// Lines as zfs-fuse printed them on this machine (LC_ALL=C), see the header of stderr-classifiers.ts.
const REAL = {
  notFound: "cannot open 'tank/nope': dataset does not exist",
  snapNotFound: "cannot open 'tank/ds@nope': dataset does not exist",
  snapExists: "cannot create snapshot 'tank/ds@s1': dataset already exists",
  createExists: "cannot create 'tank/ds': dataset already exists",
  renameExists: "cannot rename 'tank/busybox': dataset already exists",
  destroyHeld: "cannot destroy 'tank/ds@s1': dataset is busy",
  renameMounted: "cannot rename 'tank/a': dataset is busy",
  umountBusy: "umount: /tmp/m/d: target is busy.\ncannot unmount '/tmp/m/d': umount failed: umount child process failed",
  openzfsUnmount: "cannot unmount '/tank/ds': pool or dataset is busy",
  hasChildren: "cannot destroy 'tank/ds': filesystem has children\nuse '-r' to destroy the following datasets:\ntank/ds@s1",
  recvExists: "cannot receive new filesystem stream: destination 'tank/r2' exists\nmust specify -F to overwrite it",
  noSendN: "invalid option 'n'\nusage:\n\tsend [-RDp] [-[iI] snapshot] <snapshot>",
  noRecvS: "invalid option 's'\nusage:",
};

describe('zfs stderr classifiers on real messages', () => {
  it('recognize each shape and only it', () => {
    expect(datasetNotFound(REAL.notFound)).toBe(true);
    expect(datasetNotFound(REAL.snapNotFound)).toBe(true);
    expect(snapshotExists(REAL.snapExists)).toBe(true);
    expect(datasetExists(REAL.snapExists)).toBe(true);
    expect(datasetExists(REAL.createExists)).toBe(true);
    expect(datasetExists(REAL.renameExists)).toBe(true);
    expect(snapshotExists(REAL.createExists)).toBe(false);
    for (const m of [REAL.destroyHeld, REAL.renameMounted, REAL.umountBusy, REAL.openzfsUnmount]) expect(datasetBusy(m), m).toBe(true);
    expect(optionUnsupported(REAL.noSendN, 'n')).toBe(true);
    expect(optionUnsupported(REAL.noRecvS, 's')).toBe(true);
    expect(optionUnsupported(REAL.noRecvS, 'n')).toBe(false);
    expect(optionUnsupported('zfs: illegal option -- s', 's')).toBe(false);
    expect(optionUnsupported('illegal option -- s', 's')).toBe(true);
    // Other failures are none of these.
    for (const m of [REAL.hasChildren, REAL.recvExists, '']) {
      expect([datasetNotFound(m), datasetExists(m), datasetBusy(m), optionUnsupported(m, 's')], m).toEqual([false, false, false, false]);
    }
    expect(datasetNotFound(REAL.recvExists)).toBe(false);
  });
});

describe('hostile dataset names are not read as the error', () => {
  it('a dataset named busybox failing for another reason is not busy', () => {
    expect(datasetBusy("cannot destroy 'tank/busybox': filesystem has children")).toBe(false);
    expect(datasetBusy("cannot open 'tank/busybox': dataset does not exist")).toBe(false);
    expect(datasetBusy("cannot create snapshot 'tank/busy@busy': dataset already exists")).toBe(false);
    expect(datasetNotFound("cannot destroy 'tank/busybox': dataset is busy")).toBe(false);
  });

  it('a dataset named "does not exist" (zfs-fuse accepts the spaces) is not missing', () => {
    const named = 'tank/does not exist';
    expect(datasetNotFound(`cannot create snapshot '${named}@s1': dataset already exists`)).toBe(false);
    expect(datasetNotFound(`cannot destroy '${named}': dataset is busy`)).toBe(false);
    expect(datasetNotFound(`cannot destroy '${named}': filesystem has children`)).toBe(false);
    expect(datasetBusy(`cannot destroy '${named}': dataset is busy`)).toBe(true);
    expect(datasetNotFound(`cannot open '${named}': dataset does not exist`)).toBe(true);
    expect(datasetExists(`cannot create '${named}': dataset already exists`)).toBe(true);
  });

  it('names that quote another message mid-line do not match', () => {
    expect(datasetNotFound("cannot destroy 'tank/x: dataset does not exist': dataset is busy")).toBe(false);
    expect(datasetBusy("cannot open 'tank/x: dataset is busy': dataset does not exist")).toBe(false);
    expect(optionUnsupported("cannot open 'invalid option 's'': dataset does not exist", 's')).toBe(false);
    expect(() => optionUnsupported('x', 's|n')).toThrow(/single-letter/);
  });
});

describe('on a failed command', () => {
  it('read the stderr checkExit keeps on the error', () => {
    let err: unknown;
    try {
      checkExit({ code: 1, signal: null, stderr: REAL.notFound }, 'zfs list tank/nope');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapstreamError);
    expect(zfsFailedWith(err, datasetNotFound)).toBe(true);
    expect(zfsFailedWith(err, datasetBusy)).toBe(false);
    expect(stderrOf(new Error(REAL.notFound))).toBe('');
  });
});
