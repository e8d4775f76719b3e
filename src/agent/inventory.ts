import { ErrorCode, SnapstreamError } from '../errors.js';
import { OwnedProcess, checkExit } from '../exec/owned-process.js';
import { parseDatasetName } from '../zfs/names.js';
import { datasetNotFound, zfsFailedWith } from '../zfs/stderr-classifiers.js';
import type { InventoryRequest__Output } from '../wire/generated/snapstream/v1/InventoryRequest.js';
import type { InventoryResponse } from '../wire/generated/snapstream/v1/InventoryResponse.js';
import type { AgentContext } from './agent-context.js';
import { type InvDataset, type InvPool, isUnder, pageDatasets, parseZfsGetTypeGuid, parseZpoolList } from './inventory-plan.js';

/** InventoryRequest as proto-loader decodes it (generated from agent.proto). */
export type InventoryMsg = InventoryRequest__Output;

const MAX_ZPOOL_OUTPUT = 1024 * 1024;

/** `zpool list -H -o name,health`, argument array, no shell; output bounded. */
async function zpoolList(binary: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  const p = new OwnedProcess(binary, ['list', '-H', '-o', 'name,health'], { signal, env });
  const chunks: Buffer[] = [];
  let size = 0;
  p.stdout.on('data', (b: Buffer) => {
    size += b.length;
    if (size <= MAX_ZPOOL_OUTPUT) chunks.push(b);
  });
  const st = await p.exit;
  checkExit(st, 'zpool list');
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The Inventory RPC: node name, pools with health, datasets under the allowed pools with their
 * snapshots and guids. Read-only: it runs `zpool list` and `zfs get` only. A page token is validated
 * as a dataset name before use (it only filters, but untrusted input stays typed).
 */
export async function inventory(req: InventoryMsg, ctx: AgentContext, signal: AbortSignal): Promise<InventoryResponse> {
  const allowed = ctx.config.allowAnyPool ? [] : ctx.config.allowedPools;
  const pageToken = req.pageToken ? parseDatasetName(req.pageToken) : '';
  if ((req.maxDatasets ?? 0) < 0) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'inventory: maxDatasets must not be negative');

  let pools: InvPool[];
  try {
    pools = parseZpoolList(await zpoolList(ctx.config.zpoolBinary, ctx.zfs.commandEnv, signal));
  } catch (e) {
    if (signal.aborted) throw e;
    // A node whose zpool is missing still reports its datasets; health is then unknown, which the
    // control plane treats as "not a preferred replica".
    ctx.log.warn({ err: (e as Error).message }, 'zpool list failed; pool health unknown');
    pools = [...new Set(allowed.map((a) => a.split('/')[0]!))].map((name) => ({ name, health: 'UNKNOWN' }));
  }
  const allowedPools = new Set(allowed.map((a) => a.split('/')[0]!));
  if (allowed.length > 0) pools = pools.filter((p) => allowedPools.has(p.name));

  const roots = allowed.length > 0 ? allowed : pools.map((p) => p.name);
  const all: InvDataset[] = [];
  for (const root of roots) {
    const ds = parseDatasetName(root);
    let out: string;
    try {
      out = await ctx.zfs.run(['get', '-H', '-p', '-o', 'name,property,value', '-r', 'type,guid', ds], signal);
    } catch (e) {
      // An allowed prefix that does not exist (yet) holds nothing.
      if (zfsFailedWith(e, datasetNotFound)) continue;
      throw e;
    }
    for (const d of parseZfsGetTypeGuid(out)) if (isUnder(d.name, allowed)) all.push(d);
  }
  const page = pageDatasets(all, Number(req.maxDatasets ?? 0), pageToken);
  return {
    node: ctx.config.nodeName,
    pools,
    datasets: page.datasets,
    nextPageToken: page.nextPageToken,
    allowedPools: allowed,
  };
}
