import { authOf } from '../keys/manifest-auth.js';
import type * as grpc from '@grpc/grpc-js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { deleteBackup, listBackups, readManifest } from '../transfer/catalog.js';
import { validateBackupName } from '../model/layout.js';
import type { Manifest } from '../model/manifest.js';
import { parseDatasetName, parseSnapshotShortName } from '../zfs/names.js';
import type { AgentContext } from './agent-context.js';
import { redactConfigMap, redactUrl } from './agent-logger.js';
import { type BackupMsg, type Prepared, prepareBackup } from './backup-job.js';
import { toGrpcError } from './grpc-status.js';
import { type InventoryMsg, inventory } from './inventory.js';
import { jobToProto, phaseFromProto, timestamp } from './job-to-proto.js';
import { isTerminal, type JobState } from './jobs/job-types.js';
import { type LocationMsg, resolveLocation } from './request-location.js';
import { type RestoreMsg, type VerifyMsg, prepareRestore, prepareVerify } from './restore-job.js';
import { type CleanupMsg, cleanupRpc } from './cleanup-rpc.js';

type Unary = (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => void;
type Streaming = (call: grpc.ServerWritableStream<any, any>) => void;

/** An AbortSignal that fires when the client cancels the call or its deadline passes. */
function callSignal(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): AbortSignal {
  const c = new AbortController();
  call.on('cancelled', () => c.abort(new SnapstreamError(ErrorCode.ABORTED, 'the client cancelled the call')));
  return c.signal;
}

/** A safe summary of a request for logs: location values and anything credential-like masked. */
export function requestSummary(msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'location' && v && typeof v === 'object') {
      const loc = v as LocationMsg;
      out.location = loc.url ? { url: redactUrl(loc.url) } : loc.name ? { name: String(loc.name).slice(0, 64) } : { vsl: redactConfigMap(loc.vsl?.config) };
    } else if ((k === 'backupDest' || k === 'restoreSrc') && typeof v === 'string' && v) out[k] = redactUrl(v);
    else out[k] = v;
  }
  return out;
}

function manifestToProto(m: Manifest): Record<string, unknown> {
  return {
    backup: m.backup,
    schedule: m.schedule,
    volume: m.volume,
    dataset: m.dataset,
    snapshot: m.snapshot,
    previousSnapshot: m.previousSnapshot,
    previousBackup: m.previousBackup,
    dataKey: m.dataKey,
    sizeBytes: m.size,
    streamHash: m.streamHash,
    parts: m.parts.length,
    started: timestamp(new Date(m.startedAt)),
    finished: timestamp(new Date(m.finishedAt)),
    ...authToProto(m),
    node: m.node ?? '',
    snapshotGuid: m.snapshotGuid,
  };
}

function authToProto(m: Manifest): Record<string, unknown> {
  const a = authOf(m);
  return { authentication: a.state, signingKeyId: 'keyId' in a ? a.keyId : '', hashAlgorithm: m.hash, encrypted: m.encryption !== undefined };
}

/** The snapstream.v1.Agent handlers. Every error leaves through toGrpcError (one mapping). */
export function agentService(ctx: AgentContext): Record<string, Unary | Streaming> {
  const node = ctx.config.nodeName;
  const unary =
    <Req extends Record<string, unknown>>(name: string, f: (req: Req, signal: AbortSignal) => Promise<unknown>, quiet = false): Unary =>
    (call, cb) => {
      const signal = callSignal(call);
      const log = ctx.log.child({ rpc: name });
      if (!quiet) log.info({ req: requestSummary(call.request as Record<string, unknown>) }, 'request');
      f(call.request as Req, signal).then(
        (res) => cb(null, res),
        (e: unknown) => {
          const err = toGrpcError(e);
          log.warn({ grpcCode: err.code, err: err.details }, 'request failed');
          cb(err);
        },
      );
    };

  const submit = async (p: Prepared) => {
    if ('joined' in p) {
      ctx.log.info({ jobId: p.joined.id }, 'request joined an existing job');
      return { job: jobToProto(p.joined, node), joined: true };
    }
    let res: { job: JobState; joined: boolean };
    try {
      res = ctx.jobs.submit(p.spec);
    } catch (e) {
      await p.dispose();
      throw e;
    }
    if (res.joined) await p.dispose();
    return { job: jobToProto(res.job, node), joined: res.joined };
  };

  const mustGetJob = (id: string): JobState => {
    const j = ctx.jobs.get(id);
    if (!j) throw new SnapstreamError(ErrorCode.NOT_FOUND, `no job ${JSON.stringify(id)} on this agent (finished jobs are kept ${ctx.config.jobRetentionSeconds} s)`);
    return j;
  };

  return {
    Backup: unary<BackupMsg & Record<string, unknown>>('Backup', async (req, signal) => submit(await prepareBackup(req, ctx, signal))),
    Restore: unary<RestoreMsg & Record<string, unknown>>('Restore', async (req, signal) => submit(await prepareRestore(req, ctx, signal))),
    VerifyBackup: unary<VerifyMsg & Record<string, unknown>>('VerifyBackup', async (req, signal) => submit(await prepareVerify(req, ctx, signal))),

    CreateSnapshot: unary<{ dataset: string; snapName: string }>('CreateSnapshot', async (req, signal) => {
      const ds = parseDatasetName(req.dataset);
      const snap = parseSnapshotShortName(req.snapName);
      ctx.zfs.checkAllowed(ds);
      if (await ctx.zfs.exists(ds, snap, signal)) {
        throw new SnapstreamError(ErrorCode.ALREADY_EXISTS, `snapshot ${ds}@${snap} already exists`);
      }
      await ctx.zfs.snapshot(ds, snap, signal);
      const info = (await ctx.zfs.listSnapshots(ds, signal)).find((s) => s.name === snap);
      return { dataset: ds, name: snap, guid: info?.guid ?? '', created: info ? timestamp(new Date(info.creation * 1000)) : null };
    }),
    DestroySnapshot: unary<{ dataset: string; snapName: string; expectedGuid?: string }>('DestroySnapshot', async (req, signal) => {
      const ds = parseDatasetName(req.dataset);
      const snap = parseSnapshotShortName(req.snapName);
      ctx.zfs.checkAllowed(ds);
      return { destroyed: await ctx.zfs.destroySnapshot(ds, snap, signal, req.expectedGuid || undefined) };
    }),
    ListSnapshots: unary<{ dataset: string }>(
      'ListSnapshots',
      async (req, signal) => {
        const ds = parseDatasetName(req.dataset);
        ctx.zfs.checkAllowed(ds);
        if (!(await ctx.zfs.exists(ds, undefined, signal))) throw new SnapstreamError(ErrorCode.NOT_FOUND, `dataset ${ds} does not exist`);
        const snaps = await ctx.zfs.listSnapshots(ds, signal);
        return { snapshots: snaps.map((s) => ({ dataset: ds, name: s.name, guid: s.guid, created: timestamp(new Date(s.creation * 1000)) })) };
      },
      true,
    ),

    ListBackups: unary<{ location?: LocationMsg; volumeName: string }>(
      'ListBackups',
      async (req, signal) => {
        const loc = resolveLocation(req.location, '', 'listBackups', ctx.config.locationGrants);
        if (req.volumeName) validateBackupName(req.volumeName, 'volumeName');
        const store = await ctx.openStore(loc.config);
        try {
          const cat = await listBackups(store, loc.config.layout, { ...(req.volumeName ? { volume: req.volumeName } : {}), signal, log: ctx.log, keys: ctx.keys });
          return { backups: cat.backups.map(manifestToProto) };
        } finally {
          await store.close();
        }
      },
      true,
    ),
    DeleteBackup: unary<{ location?: LocationMsg; backupName: string; volumeName: string }>('DeleteBackup', async (req, signal) => {
      const loc = resolveLocation(req.location, '', 'deleteBackup', ctx.config.locationGrants);
      const store = await ctx.openStore(loc.config);
      try {
        let m: Manifest;
        try {
          m = await readManifest(store, loc.config.layout, req.backupName, req.volumeName, signal);
        } catch (e) {
          // Deleting is idempotent: an absent backup is already deleted.
          if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return { deleted: false };
          throw e;
        }
        await deleteBackup(store, m, signal);
        return { deleted: true };
      } finally {
        await store.close();
      }
    }),

    GetJob: unary<{ jobId: string }>('GetJob', async (req) => jobToProto(mustGetJob(req.jobId), node), true),
    ListJobs: unary<{ phases: string[] }>(
      'ListJobs',
      async (req) => {
        const want = new Set((req.phases ?? []).map(phaseFromProto).filter((p) => p !== undefined));
        const jobs = ctx.jobs.list().filter((j) => want.size === 0 || want.has(j.phase));
        jobs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
        return { jobs: jobs.map((j) => jobToProto(j, node)) };
      },
      true,
    ),
    CancelJob: unary<{ jobId: string }>('CancelJob', async (req) => {
      mustGetJob(req.jobId);
      return jobToProto(await ctx.jobs.cancel(req.jobId), node);
    }),

    // --- h13-recovery ---
    Cleanup: unary<CleanupMsg & Record<string, unknown>>('Cleanup', async (req, signal) => cleanupRpc(req, ctx, signal)),

    WatchJob: ((call: grpc.ServerWritableStream<{ jobId: string; progressIntervalMs: number }, unknown>) => {
      const interval = call.request.progressIntervalMs || 500;
      let unsubscribe: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      let lastSent = 0;
      let pending: JobState | undefined;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        unsubscribe?.();
        clearTimeout(timer);
        call.end();
      };
      const send = (s: JobState) => {
        if (ended) return;
        lastSent = Date.now();
        pending = undefined;
        call.write({ job: jobToProto(s, node) });
        if (isTerminal(s.phase)) end();
      };
      let lastPhase = '';
      const onChange = (s: JobState) => {
        // Phase changes go out at once; progress is rate-limited to the requested interval.
        if (s.phase !== lastPhase || Date.now() - lastSent >= interval) {
          lastPhase = s.phase;
          clearTimeout(timer);
          timer = undefined;
          send(s);
          return;
        }
        pending = s;
        timer ??= setTimeout(() => {
          timer = undefined;
          if (pending) send(pending);
        }, interval - (Date.now() - lastSent));
      };
      call.on('cancelled', end);
      try {
        const current = mustGetJob(call.request.jobId);
        lastPhase = current.phase;
        send(current);
        if (!ended) {
          unsubscribe = ctx.jobs.subscribe(current.id, onChange);
          // The job may have ended between get and subscribe.
          const now = ctx.jobs.get(current.id);
          if (now && isTerminal(now.phase)) send(now);
        }
      } catch (e) {
        call.emit('error', toGrpcError(e));
      }
    }) as Streaming,

    // --- h14-cluster ---
    Inventory: unary<InventoryMsg & Record<string, unknown>>('Inventory', (req, signal) => inventory(req, ctx, signal), true),
  };
}
