import { authOf } from '../keys/manifest-auth.js';
import type * as grpc from '@grpc/grpc-js';
import type { AgentHandlers, AgentUnaryMethod, ServerRequest, ServerResponse } from '../wire/agent-proto.js';
import type { BackupInfo } from '../wire/generated/snapstream/v1/BackupInfo.js';
import type { JobResponse } from '../wire/generated/snapstream/v1/JobResponse.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { deleteBackup, listBackups, readManifest } from '../transfer/catalog.js';
import { validateBackupName } from '../model/layout.js';
import type { Manifest } from '../model/manifest.js';
import { parseDatasetName, parseSnapshotShortName } from '../zfs/names.js';
import type { AgentContext } from './agent-context.js';
import { redactConfigMap, redactUrl } from './agent-logger.js';
import { type Prepared, prepareBackup } from './backup-job.js';
import { toGrpcError } from '../wire/grpc-status.js';
import { inventory } from './inventory.js';
import { jobToProto, phaseFromProto, timestamp } from './job-to-proto.js';
import { isTerminal, type JobState } from './jobs/job-types.js';
import { type LocationMsg, resolveLocation } from './request-location.js';
import { prepareRestore, prepareVerify } from './restore-job.js';
import { cleanupRpc } from './cleanup-rpc.js';

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

function manifestToProto(m: Manifest): BackupInfo {
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

function authToProto(m: Manifest): Pick<BackupInfo, 'authentication' | 'signingKeyId' | 'hashAlgorithm' | 'encrypted'> {
  const a = authOf(m);
  return { authentication: a.state, signingKeyId: 'keyId' in a ? a.keyId : '', hashAlgorithm: m.hash, encrypted: m.encryption !== undefined };
}

/**
 * The snapstream.v1.Agent handlers, typed by the service generated from agent.proto: a method left
 * out or misspelled does not compile. Every error leaves through toGrpcError (one mapping).
 */
export function agentService(ctx: AgentContext): AgentHandlers {
  const node = ctx.config.nodeName;
  const unary =
    <K extends AgentUnaryMethod>(name: K, f: (req: ServerRequest<K>, signal: AbortSignal) => Promise<ServerResponse<K>>, quiet = false): grpc.handleUnaryCall<ServerRequest<K>, ServerResponse<K>> =>
    (call, cb) => {
      const signal = callSignal(call);
      const log = ctx.log.child({ rpc: name });
      if (!quiet) log.info({ req: requestSummary(call.request as Record<string, unknown>) }, 'request');
      f(call.request, signal).then(
        (res) => cb(null, res),
        (e: unknown) => {
          const err = toGrpcError(e);
          log.warn({ grpcCode: err.code, err: err.details }, 'request failed');
          cb(err);
        },
      );
    };

  const submit = async (p: Prepared): Promise<JobResponse> => {
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
    Backup: unary('Backup', async (req, signal) => submit(await prepareBackup(req, ctx, signal))),
    Restore: unary('Restore', async (req, signal) => submit(await prepareRestore(req, ctx, signal))),
    VerifyBackup: unary('VerifyBackup', async (req, signal) => submit(await prepareVerify(req, ctx, signal))),

    CreateSnapshot: unary('CreateSnapshot', async (req, signal) => {
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
    DestroySnapshot: unary('DestroySnapshot', async (req, signal) => {
      const ds = parseDatasetName(req.dataset);
      const snap = parseSnapshotShortName(req.snapName);
      ctx.zfs.checkAllowed(ds);
      return { destroyed: await ctx.zfs.destroySnapshot(ds, snap, signal, req.expectedGuid || undefined) };
    }),
    ListSnapshots: unary(
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

    ListBackups: unary(
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
    DeleteBackup: unary('DeleteBackup', async (req, signal) => {
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

    GetJob: unary('GetJob', async (req) => jobToProto(mustGetJob(req.jobId), node), true),
    ListJobs: unary(
      'ListJobs',
      async (req) => {
        const want = new Set((req.phases ?? []).map(phaseFromProto).filter((p) => p !== undefined));
        const jobs = ctx.jobs.list().filter((j) => want.size === 0 || want.has(j.phase));
        jobs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
        return { jobs: jobs.map((j) => jobToProto(j, node)) };
      },
      true,
    ),
    CancelJob: unary('CancelJob', async (req) => {
      mustGetJob(req.jobId);
      return jobToProto(await ctx.jobs.cancel(req.jobId), node);
    }),

    // --- h13-recovery ---
    Cleanup: unary('Cleanup', async (req, signal) => cleanupRpc(req, ctx, signal)),

    WatchJob: (call) => {
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
    },

    // --- h14-cluster ---
    Inventory: unary('Inventory', (req, signal) => inventory(req, ctx, signal), true),
  };
}
