import { describe, expect, it } from 'vitest';
import { volumeIdOf, withVolumeId } from '../../../src/velero/persistent-volume.js';

const j = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('PersistentVolume handling', () => {
  it('cStor by label or CSI driver: the PV name; LocalPV: the volume handle; others: ""', () => {
    expect(volumeIdOf(j({ metadata: { name: 'pvc-a', labels: { 'openebs.io/cas-type': 'cstor' } }, spec: { iscsi: {} } }))).toBe('pvc-a');
    expect(volumeIdOf(j({ metadata: { name: 'pvc-b' }, spec: { csi: { driver: 'cstor.csi.openebs.io', volumeHandle: 'pvc-b' } } }))).toBe('pvc-b');
    expect(volumeIdOf(j({ metadata: { name: 'pv-x' }, spec: { csi: { driver: 'zfs.csi.openebs.io', volumeHandle: 'pvc-c' } } }))).toBe('pvc-c');
    expect(volumeIdOf(j({ metadata: { name: 'pv-x', labels: { 'openebs.io/cas-type': 'jiva' } }, spec: { iscsi: {} } }))).toBe('');
    expect(volumeIdOf(j({ metadata: { name: 'pv-x' }, spec: { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' } } }))).toBe('');
  });

  it('refuses what is not a PV or an unusable volume name', () => {
    expect(() => volumeIdOf(Buffer.from('not json'))).toThrow(/not JSON/);
    expect(() => volumeIdOf(j([1]))).toThrow(/JSON object/);
    expect(() => volumeIdOf(j({ metadata: { name: 'x' }, spec: { csi: { driver: 'zfs.csi.openebs.io', volumeHandle: '../etc' } } }))).toThrow(/volumeHandle/);
    expect(() => volumeIdOf(Buffer.alloc(2 * 1024 * 1024, 32))).toThrow(/far smaller/);
  });

  it('SetVolumeID changes only the volume fields', () => {
    const pv = { metadata: { name: 'pvc-a', labels: { 'openebs.io/cas-type': 'cstor' }, uid: 'u' }, spec: { csi: { driver: 'cstor.csi.openebs.io', volumeHandle: 'pvc-a', fsType: 'ext4' }, capacity: { storage: '1Gi' } } };
    const out = JSON.parse(withVolumeId(j(pv), 'pvc-new').toString());
    expect(out).toEqual({ ...pv, metadata: { ...pv.metadata, name: 'pvc-new' }, spec: { ...pv.spec, csi: { ...pv.spec.csi, volumeHandle: 'pvc-new' } } });
    const z = { metadata: { name: 'pv-1' }, spec: { csi: { driver: 'zfs.csi.openebs.io', volumeHandle: 'pvc-z' } } };
    expect(JSON.parse(withVolumeId(j(z), 'pvc-z2').toString())).toEqual({ metadata: { name: 'pv-1' }, spec: { csi: { driver: 'zfs.csi.openebs.io', volumeHandle: 'pvc-z2' } } });
    expect(() => withVolumeId(j({ metadata: { name: 'n' }, spec: { nfs: {} } }), 'x')).toThrow(/neither cStor/);
    expect(() => withVolumeId(j(z), 'a b')).toThrow(/not a volume name/);
  });
});
