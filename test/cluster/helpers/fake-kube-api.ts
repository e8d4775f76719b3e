import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import path from 'node:path';

export interface FakePod {
  name: string;
  nodeName: string;
  podIP: string;
  phase: string;
}

/**
 * A stand-in for kube-apiserver (none can run here): answers exactly the call the kubernetes
 * discovery makes, GET /api/v1/namespaces/NS/pods?labelSelector=..., with a v1 PodList, and only
 * with the right bearer token (401 otherwise), over HTTPS with a certificate of the test CA (the
 * client verifies it, as it verifies the in-cluster CA). Records every request. Writes a kubeconfig.
 */
export interface FakeService {
  name: string;
  clusterIP: string;
  labels: Record<string, string>;
}

export async function startFakeKubeApi(opts: {
  namespace: string;
  labelSelector: string;
  token: string;
  pods: FakePod[];
  dir: string;
  tls: { caFile: string; certFile: string; keyFile: string };
  /** Answers GET /api/v1/namespaces/NS/services?labelSelector=SEL (the target IP lookup); absent = 404. */
  services?: (labelSelector: string) => FakeService[];
}) {
  const requests: { url: string; auth: string }[] = [];
  const server = createServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, (req: IncomingMessage, res: ServerResponse) => {
    const auth = String(req.headers.authorization ?? '');
    requests.push({ url: req.url ?? '', auth });
    const u = new URL(req.url ?? '/', 'http://x');
    if (auth !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 }));
      return;
    }
    if (req.method === 'GET' && opts.services && u.pathname === `/api/v1/namespaces/${opts.namespace}/services`) {
      const items = opts.services(u.searchParams.get('labelSelector') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'ServiceList',
          apiVersion: 'v1',
          metadata: { resourceVersion: '1' },
          items: items.map((x) => ({
            metadata: { name: x.name, namespace: opts.namespace, labels: x.labels },
            spec: { type: 'ClusterIP', clusterIP: x.clusterIP, clusterIPs: [x.clusterIP], ports: [{ name: 'cstor-iscsi', port: 3260, protocol: 'TCP', targetPort: 3260 }] },
          })),
        }),
      );
      return;
    }
    if (req.method !== 'GET' || u.pathname !== `/api/v1/namespaces/${opts.namespace}/pods`) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    const selected = u.searchParams.get('labelSelector') === opts.labelSelector ? opts.pods : [];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1' },
        items: selected.map((p) => ({
          metadata: { name: p.name, namespace: opts.namespace, labels: { app: 'snapstream-agent' } },
          spec: { nodeName: p.nodeName, containers: [{ name: 'agent', image: 'snapstream:0.1.0' }] },
          status: { phase: p.phase, podIP: p.podIP, podIPs: [{ ip: p.podIP }] },
        })),
      }),
    );
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  const kubeconfig = path.join(opts.dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      `  cluster: { server: "https://127.0.0.1:${port}", certificate-authority: "${opts.tls.caFile}" }`,
      'users:',
      '- name: controller',
      `  user: { token: "${opts.token}" }`,
      'contexts:',
      '- name: fake',
      '  context: { cluster: fake, user: controller, namespace: ' + opts.namespace + ' }',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return { kubeconfig, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
