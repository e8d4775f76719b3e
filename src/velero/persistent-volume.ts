import { ErrorCode, SnapstreamError } from '../errors.js';

export const CSTOR_CSI_DRIVER = 'cstor.csi.openebs.io';
export const ZFS_CSI_DRIVER = 'zfs.csi.openebs.io';
export const CAS_TYPE_LABEL = 'openebs.io/cas-type';

export type VolumeKind = 'cstor' | 'localpv';

interface PvShape {
  metadata?: { name?: unknown; labels?: Record<string, unknown> };
  spec?: { csi?: { driver?: unknown; volumeHandle?: unknown } };
}

const VOLUME_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
/** A PV's JSON is small; anything larger is not a PV. */
const MAX_PV_BYTES = 1024 * 1024;

function parsePv(bytes: Uint8Array): PvShape & Record<string, unknown> {
  if (bytes.length > MAX_PV_BYTES) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `persistentVolume is ${bytes.length} bytes; a PersistentVolume's JSON is far smaller`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `persistentVolume is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'persistentVolume must be a JSON object (a PersistentVolume)');
  return v as PvShape & Record<string, unknown>;
}

/**
 * Which OpenEBS engine a PV belongs to: cStor when labelled openebs.io/cas-type=cstor or provisioned
 * by the cStor CSI driver; ZFS-LocalPV when provisioned by the ZFS CSI driver; else undefined.
 */
export function volumeKindOf(pv: PvShape): VolumeKind | undefined {
  const driver = pv.spec?.csi?.driver;
  if (driver === ZFS_CSI_DRIVER) return 'localpv';
  if (driver === CSTOR_CSI_DRIVER || pv.metadata?.labels?.[CAS_TYPE_LABEL] === 'cstor') return 'cstor';
  return undefined;
}

/**
 * GetVolumeID: the cStor volume is the PV's name; the ZFS-LocalPV volume is its CSI volume handle
 * (the ZFSVolume's name, the dataset <poolName>/<handle>). "" tells Velero the PV is not ours.
 */
export function volumeIdOf(bytes: Uint8Array): string {
  const pv = parsePv(bytes);
  const kind = volumeKindOf(pv);
  if (kind === undefined) return '';
  const id = kind === 'cstor' ? pv.metadata?.name : pv.spec?.csi?.volumeHandle;
  if (typeof id !== 'string' || !VOLUME_ID.test(id)) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `${kind === 'cstor' ? 'cStor PV metadata.name' : 'ZFS-LocalPV PV spec.csi.volumeHandle'} ${JSON.stringify(id)} is not a volume name (letters, digits, "._-")`,
    );
  }
  return id;
}

/**
 * SetVolumeID: points a PV being restored at the restored volume, keeping every other field as
 * Velero sent it. cStor: name and (CSI) volume handle, which cStor keeps equal; LocalPV: the volume
 * handle. A PV of another driver is refused: Velero only asks the plugin that claimed it.
 */
export function withVolumeId(bytes: Uint8Array, volumeId: string): Buffer {
  const pv = parsePv(bytes);
  if (!VOLUME_ID.test(volumeId)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `volume ID ${JSON.stringify(volumeId)} is not a volume name (letters, digits, "._-")`);
  const kind = volumeKindOf(pv);
  if (kind === undefined) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `the PV is neither cStor (label ${CAS_TYPE_LABEL}=cstor or driver ${CSTOR_CSI_DRIVER}) nor ZFS-LocalPV (driver ${ZFS_CSI_DRIVER})`);
  }
  if (kind === 'cstor') {
    pv.metadata = { ...(pv.metadata ?? {}), name: volumeId };
    if (pv.spec?.csi !== undefined) pv.spec.csi.volumeHandle = volumeId;
  } else {
    pv.spec!.csi!.volumeHandle = volumeId;
  }
  return Buffer.from(JSON.stringify(pv), 'utf8');
}
