import { CoreV1Api } from '@kubernetes/client-node';
import { ErrorCode, SnapstreamError, abortedError } from '../errors.js';
import type { PodLister } from './discover-agents.js';
import { loadKubeConfig } from './load-kube-config.js';

const LIST_TIMEOUT_MS = 15_000;

/**
 * The agents as the Kubernetes API sees them: the DaemonSet's pods (`labelSelector` in `namespace`),
 * with `status.podIP` and `spec.nodeName`. Credentials: the in-cluster service account (token and CA
 * under /var/run/secrets/kubernetes.io/serviceaccount), or the kubeconfig file given. The controller
 * needs only `list pods` in that namespace (see docs/cluster.md for the Role). Errors never carry the
 * token: the client's error bodies are reduced to the HTTP status.
 */
export const listAgentPods: PodLister = async (spec, signal) => {
  const kc = await loadKubeConfig(spec.kubeconfig, 'kubernetes discovery');
  const api = kc.makeApiClient(CoreV1Api);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const list = await Promise.race([
      api.listNamespacedPod({ namespace: spec.namespace, labelSelector: spec.labelSelector }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new SnapstreamError(ErrorCode.UNAVAILABLE, `kubernetes discovery: listing pods took longer than ${LIST_TIMEOUT_MS / 1000} s`, { retryable: true })),
          LIST_TIMEOUT_MS,
        );
        onAbort = () => reject(abortedError(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    return list.items.map((p) => ({
      ...(p.metadata?.name ? { name: p.metadata.name } : {}),
      ...(p.status?.podIP ? { podIP: p.status.podIP } : {}),
      ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
      ...(p.status?.phase ? { phase: p.status.phase } : {}),
    }));
  } catch (e) {
    if (e instanceof SnapstreamError) throw e;
    const status = (e as { code?: number }).code;
    const code = status === 401 || status === 403 ? ErrorCode.PERMISSION_DENIED : ErrorCode.UNAVAILABLE;
    throw new SnapstreamError(
      code,
      `kubernetes discovery: listing pods in ${spec.namespace} failed${status ? ` with HTTP ${status}` : `: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}`}` +
        (code === ErrorCode.PERMISSION_DENIED ? ' (the controller needs "list pods" in that namespace)' : ''),
      { retryable: code === ErrorCode.UNAVAILABLE },
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
};
