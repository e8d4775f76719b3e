import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { buildAgentConfig, parseBytes, parseHostPort } from '../../../src/agent/agent-config.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = parseAllDocuments(readFileSync(path.join(REPO, 'daemonset.yaml'), 'utf8')).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS() as Record<string, any>;
});
const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;

/** Kubernetes quantities for memory (Mi/Gi only here). */
const quantity = (q: string) => parseBytes(q, 'quantity');

describe('daemonset.yaml', () => {
  it('every document validates against the Kubernetes schema', () => {
    const models: Record<string, new (o: any) => { validate(): void }> = { DaemonSet, ConfigMap, Service, ServiceAccount, NetworkPolicy };
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'NetworkPolicy', 'Service', 'ServiceAccount']);
    for (const d of docs) {
      const Model = models[d.kind]!;
      expect(() => new Model(d).validate(), `${d.kind} ${d.metadata?.name}`).not.toThrow();
    }
  });

  it('the schema check is real: a broken manifest is refused', () => {
    const ds = structuredClone(byKind('DaemonSet'));
    ds.spec.template.spec.containers[0].readinessProbe.grpc.port = 'grpc';
    expect(() => new DaemonSet(ds).validate()).toThrow(/port/);
  });

  const ds = byKind('DaemonSet');
  const pod = ds.spec.template.spec;
  const agent = pod.containers[0];
  const config = buildAgentConfig(JSON.parse(JSON.stringify(require_yaml(byKind('ConfigMap').data['agent.yaml']))));

  it('the embedded agent config is valid and uses mTLS from the mounted Secret', () => {
    expect(config.insecurePlaintext).toBe(false);
    expect(config.tls?.caFile.startsWith('/etc/snapstream/tls/')).toBe(true);
    const tlsMount = agent.volumeMounts.find((m: any) => m.name === 'tls');
    expect(tlsMount.mountPath).toBe('/etc/snapstream/tls');
    expect(pod.volumes.find((v: any) => v.name === 'tls').secret.secretName).toBe('snapstream-agent-tls');
    expect(pod.volumes.find((v: any) => v.name === 'cloud-credentials').secret).toBeDefined();
    expect(config.allowedPools.length).toBeGreaterThan(0);
  });

  it('probes use gRPC health on the plaintext health port; ports match the config', () => {
    const port = (name: string) => agent.ports.find((p: any) => p.name === name).containerPort;
    expect(agent.readinessProbe.grpc.port).toBe(parseHostPort(config.healthListen, 'h').port);
    expect(agent.livenessProbe.grpc.port).toBe(port('health'));
    expect(port('grpc')).toBe(parseHostPort(config.listen, 'l').port);
    expect(port('metrics')).toBe(parseHostPort(config.metricsListen, 'm').port);
    expect(ds.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(ds.spec.template.metadata.annotations['prometheus.io/port'])).toBe(port('metrics'));
  });

  it('resources cover the memory budget plus the runtime; SIGKILL comes after the shutdown grace', () => {
    const limit = quantity(agent.resources.limits.memory);
    const request = quantity(agent.resources.requests.memory);
    expect(request).toBeGreaterThanOrEqual(config.memoryBudgetBytes + 128 * 1024 * 1024);
    expect(limit).toBeGreaterThanOrEqual(request);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdownGraceSeconds);
  });

  it('reaches ZFS through /dev/zfs only, with no API token and a read-only root', () => {
    expect(pod.volumes.find((v: any) => v.name === 'dev-zfs').hostPath).toEqual({ path: '/dev/zfs', type: 'CharDevice' });
    const hostPaths = pod.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path);
    expect(hostPaths).toEqual(['/dev/zfs']);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(agent.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});

describe('daemonset.yaml trust boundaries (docs/security.md)', () => {
  const ds = byKind('DaemonSet');
  const pod = ds.spec.template.spec;
  const agent = pod.containers[0];
  const config = buildAgentConfig(JSON.parse(JSON.stringify(require_yaml(byKind('ConfigMap').data['agent.yaml']))));
  const port = (name: string) => agent.ports.find((p: any) => p.name === name).containerPort;

  it('grants client identities with roles and locations; no development opt-out', () => {
    expect(config.clients.length).toBeGreaterThan(0);
    expect(config.clients.map((c) => c.role)).toContain('operator');
    expect(config.allowAnyClient).toBe(false);
    expect(config.locationGrants.allowAny).toBe(false);
    expect(config.allowAnyPool).toBe(false);
    expect(config.locationGrants.named.size + config.locationGrants.grants.length).toBeGreaterThan(0);
    expect(config.healthMaxConnections * config.healthMaxStreamsPerConnection).toBeLessThanOrEqual(256);
  });

  it('a NetworkPolicy selects the agent pods and opens only the mTLS API and metrics, not the plaintext health port', () => {
    const np = byKind('NetworkPolicy');
    expect(np.spec.podSelector.matchLabels).toEqual(ds.spec.selector.matchLabels);
    expect(np.spec.policyTypes).toContain('Ingress');
    const opened = np.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort();
    expect(opened).toEqual([port('grpc'), port('metrics')].sort());
    expect(opened).not.toContain(port('health'));
    for (const r of np.spec.ingress) expect(r.from?.length, 'every rule names its sources').toBeGreaterThan(0);
  });

  it('pins the image by digest and keeps only the privileges zfs needs, each commented', () => {
    expect(agent.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(pod.hostNetwork).toBe(false);
    expect(pod.hostPID).toBe(false);
    expect(pod.hostIPC).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(Object.keys(agent.securityContext).sort()).toEqual(['privileged', 'readOnlyRootFilesystem', 'runAsNonRoot', 'runAsUser']);
    const text = readFileSync(path.join(REPO, 'daemonset.yaml'), 'utf8');
    for (const key of ['privileged: true', 'runAsUser: 0', 'readOnlyRootFilesystem: true', 'automountServiceAccountToken: false']) {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.trim() === key && lines.indexOf(l) > text.split('\n').findIndex((x) => x.includes('kind: DaemonSet')));
      expect(at, key).toBeGreaterThan(0);
      expect(lines[at - 1]!.trim().startsWith('#'), `${key} has a comment saying why`).toBe(true);
    }
  });
});

function require_yaml(text: string): unknown {
  return parseAllDocuments(text)[0]!.toJS();
}
