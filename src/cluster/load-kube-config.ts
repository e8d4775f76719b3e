import type { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * A KubeConfig from `file`, or the pod's service account when no file is given. The loader's own
 * error messages quote the file around the parse error (js-yaml snippets), so pointing `kubeconfig`
 * at another file (a mounted credentials file) would put its secrets into an error Velero shows on
 * the backup: a failure says only which file and why in general, never what is in it.
 */
export async function loadKubeConfig(file: string | undefined, what: string): Promise<KubeConfig> {
  const { KubeConfig: Kc } = await import('@kubernetes/client-node');
  const kc = new Kc();
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromCluster();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      file
        ? `${what}: kubeconfig ${file} cannot be loaded: ${typeof code === 'string' ? code : 'not a valid kubeconfig'} (its content is not shown: it may hold secrets)`
        : `${what}: the in-cluster service account cannot be loaded (not running in a pod? set a kubeconfig)`,
    );
  }
  if (file && kc.getCurrentCluster() === null) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what}: kubeconfig ${file} names no current cluster (not a kubeconfig?)`);
  }
  return kc;
}
