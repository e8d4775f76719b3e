import { isIP } from 'node:net';
import { ErrorCode, SnapstreamError, abortedError } from '../errors.js';
import { loadKubeConfig } from '../cluster/load-kube-config.js';

const LOOKUP_TIMEOUT_MS = 15_000;
/** The label cStor puts on a volume's target Service (and its other objects): the PV name. */
export const PV_LABEL = 'openebs.io/persistent-volume';
/** The label that marks the target Service among the volume's Services. */
export const TARGET_SERVICE_LABEL = 'openebs.io/target-service';

export interface ServiceInfo {
  name: string;
  clusterIP?: string;
  labels: Record<string, string>;
}

/** Lists Services of `namespace` matching `labelSelector` (the real one asks the Kubernetes API). */
export type ServiceLister = (q: { namespace: string; labelSelector: string; kubeconfig?: string }, signal?: AbortSignal) => Promise<ServiceInfo[]>;

/**
 * The target IP of a cStor volume, as autoSetTargetIP needs it: the clusterIP of the volume's
 * target Service (label openebs.io/persistent-volume=<volume> in the OpenEBS namespace; one
 * labelled openebs.io/target-service preferred, a headless one never). Pure choice over the listed
 * Services; NOT_FOUND names what was looked for and how to set the IP instead.
 */
export function chooseTargetIp(volume: string, namespace: string, services: readonly ServiceInfo[]): string {
  const usable = services.filter((s) => s.clusterIP !== undefined && s.clusterIP !== 'None' && isIP(s.clusterIP) !== 0 && s.labels[PV_LABEL] === volume);
  usable.sort((a, b) => Number(b.labels[TARGET_SERVICE_LABEL] !== undefined) - Number(a.labels[TARGET_SERVICE_LABEL] !== undefined) || (a.name < b.name ? -1 : 1));
  const pick = usable[0];
  if (pick === undefined) {
    throw new SnapstreamError(
      ErrorCode.NOT_FOUND,
      `autoSetTargetIP: no Service with a cluster IP labelled ${PV_LABEL}=${volume} in namespace ${namespace} (the cStor target of the restored volume); ` +
        'provision the volume first, set targetIP in the VolumeSnapshotLocation config, or set autoSetTargetIP to "false"',
      { details: { volume, namespace, services: services.map((s) => s.name) } },
    );
  }
  return pick.clusterIP!;
}

export async function lookupTargetIp(
  volume: string,
  q: { namespace: string; kubeconfig?: string },
  list: ServiceLister = listServices,
  signal?: AbortSignal,
): Promise<string> {
  const services = await list({ ...q, labelSelector: `${PV_LABEL}=${volume}` }, signal);
  return chooseTargetIp(volume, q.namespace, services);
}

/**
 * The plugin runs in Velero's pod, whose service account may read Services (Velero's own role
 * allows it); a kubeconfig file replaces it when given. Errors carry the HTTP status only: the
 * client's error bodies (and so never the token) stay out of messages.
 */
export const listServices: ServiceLister = async (q, signal) => {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const kc = await loadKubeConfig(q.kubeconfig, 'autoSetTargetIP');
  const api = kc.makeApiClient(CoreV1Api);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const list = await Promise.race([
      api.listNamespacedService({ namespace: q.namespace, labelSelector: q.labelSelector }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new SnapstreamError(ErrorCode.UNAVAILABLE, `autoSetTargetIP: listing Services took longer than ${LOOKUP_TIMEOUT_MS / 1000} s`, { retryable: true })),
          LOOKUP_TIMEOUT_MS,
        );
        onAbort = () => reject(abortedError(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    return list.items.map((s) => ({
      name: s.metadata?.name ?? '',
      labels: s.metadata?.labels ?? {},
      ...(s.spec?.clusterIP ? { clusterIP: s.spec.clusterIP } : {}),
    }));
  } catch (e) {
    if (e instanceof SnapstreamError) throw e;
    const status = (e as { code?: number }).code;
    const denied = status === 401 || status === 403;
    throw new SnapstreamError(
      denied ? ErrorCode.PERMISSION_DENIED : ErrorCode.UNAVAILABLE,
      `autoSetTargetIP: listing Services in ${q.namespace} failed${status ? ` with HTTP ${status}` : `: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}`}` +
        (denied ? ' (the plugin needs "list services" in that namespace, or set targetIP)' : ''),
      { retryable: !denied },
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
};
