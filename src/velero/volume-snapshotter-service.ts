import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toGrpcError } from '../wire/grpc-status.js';
import { ErrorCode, SnapstreamError, toSnapstreamError } from '../errors.js';
import { VolumeSnapshotter, type SnapshotterDeps } from './volume-snapshotter.js';

type Handler = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

/**
 * Velero's generated.VolumeSnapshotter service over VolumeSnapshotter instances, one per plugin
 * name (every request names its plugin, and one executable may serve several names, each Init-ed
 * with its own location). Failures become gRPC statuses whose message starts with the stable code.
 */
export function volumeSnapshotterService(names: readonly string[], deps: SnapshotterDeps, signal: AbortSignal): grpc.UntypedServiceImplementation {
  const instances = new Map<string, VolumeSnapshotter>();
  const get = (name: unknown): VolumeSnapshotter => {
    if (typeof name !== 'string' || !names.includes(name)) {
      throw new SnapstreamError(ErrorCode.NOT_FOUND, `this executable serves ${names.join(', ')}, not plugin ${JSON.stringify(name)}`);
    }
    let v = instances.get(name);
    if (v === undefined) {
      v = new VolumeSnapshotter(name, deps);
      instances.set(name, v);
    }
    return v;
  };
  const log: Logger = deps.log;
  const unary =
    (method: string, f: (v: VolumeSnapshotter, req: Record<string, unknown>) => Promise<unknown> | unknown): Handler =>
    (call, cb) => {
      const started = Date.now();
      Promise.resolve()
        .then(() => f(get(call.request.plugin), call.request))
        .then(
          (res) => {
            log.debug({ method, ms: Date.now() - started }, 'plugin call done');
            cb(null, res);
          },
          (e: unknown) => {
            const err = toSnapstreamError(e);
            log.error({ method, code: err.code, err: err.message }, 'plugin call failed');
            // The code leads the message: Velero shows only the status message (grpc-go takes it from
            // grpc-status-details-bin, so it is encoded there too).
            cb(toGrpcError(new SnapstreamError(err.code, `${err.code}: ${err.message}`, { retryable: err.retryable, details: err.details })));
          },
        );
    };
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const map = (v: unknown): Record<string, string> => (v !== null && typeof v === 'object' ? (v as Record<string, string>) : {});
  const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array());
  return {
    Init: unary('Init', async (v, r) => {
      await v.init(map(r.config));
      return {};
    }),
    CreateSnapshot: unary('CreateSnapshot', async (v, r) => ({ snapshotID: await v.createSnapshot(str(r.volumeID), str(r.volumeAZ), map(r.tags), signal) })),
    CreateVolumeFromSnapshot: unary('CreateVolumeFromSnapshot', async (v, r) => ({
      volumeID: await v.createVolumeFromSnapshot(str(r.snapshotID), str(r.volumeType), str(r.volumeAZ), Number(r.iops ?? 0), signal),
    })),
    GetVolumeInfo: unary('GetVolumeInfo', (v, r) => v.getVolumeInfo(str(r.volumeID), str(r.volumeAZ), signal)),
    DeleteSnapshot: unary('DeleteSnapshot', async (v, r) => {
      await v.deleteSnapshot(str(r.snapshotID), signal);
      return {};
    }),
    GetVolumeID: unary('GetVolumeID', (v, r) => ({ volumeID: v.getVolumeID(bytes(r.persistentVolume)) })),
    SetVolumeID: unary('SetVolumeID', (v, r) => ({ persistentVolume: v.setVolumeID(bytes(r.persistentVolume), str(r.volumeID)) })),
  };
}
