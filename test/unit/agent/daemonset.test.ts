import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
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
    const models: Record<string, new (o: any) => { validate(): void }> = { DaemonSet, ConfigMap, Service, ServiceAccount };
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'Service', 'ServiceAccount']);
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

function require_yaml(text: string): unknown {
  return parseAllDocuments(text)[0]!.toJS();
}
