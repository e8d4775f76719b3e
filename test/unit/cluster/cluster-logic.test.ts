import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { MAX_SNAPSHOTS_PER_DATASET, isUnder, pageDatasets, parseZfsGetTypeGuid, parseZpoolList } from '../../../src/agent/inventory-plan.js';
import type { NodeInventory } from '../../../src/cluster/cluster.js';
import { discoverAgents, parseAgentAddress, parseDiscovery } from '../../../src/cluster/discover-agents.js';
import { backupCandidates, failoverHelps, locateReplicas } from '../../../src/cluster/locate-replicas.js';
import { NodeLimiter } from '../../../src/cluster/node-limiter.js';
import { scheduleVolumes } from '../../../src/cluster/schedule-volumes.js';
import { MANIFEST_FORMAT, parseManifest } from '../../../src/model/manifest.js';
import { startFakeDns } from '../../cluster/helpers/fake-dns.js';

const inv = (node: string, pool: string, health: string, datasets: [string, [string, string][]][]): NodeInventory => ({
  node,
  address: `${node}:9443`,
  pools: [{ name: pool, health }],
  datasets: datasets.map(([name, snaps]) => ({ name, pool: name.split('/')[0]!, type: 'filesystem', snapshots: snaps.map(([n, g]) => ({ name: n, guid: g })) })),
  truncated: false,
});

describe('inventory parsing and paging', () => {
  it('parses zpool list and zfs get output, datasets with their snapshots in order', () => {
    expect(parseZpoolList('tank\tONLINE\nbad name\tX\ncstor-1\tdegraded\n\n')).toEqual([
      { name: 'tank', health: 'ONLINE' },
      { name: 'cstor-1', health: 'DEGRADED' },
    ]);
    const out = ['p\ttype\tfilesystem', 'p\tguid\t1', 'p/a\ttype\tfilesystem', 'p/a\tguid\t2', 'p/a@s1\ttype\tsnapshot', 'p/a@s1\tguid\t3', 'p/a@s2\ttype\tsnapshot', 'p/a@s2\tguid\t4', 'garbage'].join('\n');
    const ds = parseZfsGetTypeGuid(out);
    expect(ds.map((d) => [d.name, d.guid, d.snapshots.map((s) => `${s.name}=${s.guid}`)])).toEqual([
      ['p', '1', []],
      ['p/a', '2', ['s1=3', 's2=4']],
    ]);
  });

  it('keeps the newest snapshots of a dataset beyond the cap and says so', () => {
    const lines = ['p/a\ttype\tfilesystem', 'p/a\tguid\t1'];
    for (let i = 0; i < MAX_SNAPSHOTS_PER_DATASET + 5; i++) lines.push(`p/a@s${i}\ttype\tsnapshot`, `p/a@s${i}\tguid\t${i}`);
    const [d] = parseZfsGetTypeGuid(lines.join('\n'));
    expect(d!.snapshots).toHaveLength(MAX_SNAPSHOTS_PER_DATASET);
    expect(d!.snapshots.at(-1)!.name).toBe(`s${MAX_SNAPSHOTS_PER_DATASET + 4}`);
    expect(d!.snapshotsTruncated).toBe(true);
  });

  it('pages by name with a bounded page size, and filters by allowed prefixes', () => {
    const all = ['c', 'a', 'b', 'd'].map((n) => ({ name: `p/${n}`, type: 'filesystem', guid: '', snapshots: [], snapshotsTruncated: false }));
    const p1 = pageDatasets(all, 2, '');
    expect(p1.datasets.map((d) => d.name)).toEqual(['p/a', 'p/b']);
    expect(p1.nextPageToken).toBe('p/b');
    const p2 = pageDatasets(all, 2, p1.nextPageToken);
    expect(p2.datasets.map((d) => d.name)).toEqual(['p/c', 'p/d']);
    expect(p2.nextPageToken).toBe('');
    expect(pageDatasets(all, 1_000_000, '').datasets).toHaveLength(4);
    expect(isUnder('p/a/b', ['p/a'])).toBe(true);
    expect(isUnder('p/ab', ['p/a'])).toBe(false);
  });
});

describe('volume location and replica choice', () => {
  const cluster = [
    inv('node-b', 'cstor-b', 'ONLINE', [['cstor-b/pvc-1', [['s1', '11']]], ['cstor-b/other/pvc-1', []]]),
    inv('node-a', 'cstor-a', 'DEGRADED', [['cstor-a/pvc-1', [['s1', '11']]]]),
    inv('node-c', 'cstor-c', 'ONLINE', [['cstor-c/pvc-1', [['s1', '99']]], ['zfspv/pvc-2', []]]),
  ];

  it('cStor: every <pool>/<pv> on any node, healthiest first then by node', () => {
    expect(locateReplicas(cluster, { volume: 'pvc-1' }).map((r) => `${r.node}:${r.dataset}:${r.poolHealth}`)).toEqual([
      'node-b:cstor-b/pvc-1:ONLINE',
      'node-c:cstor-c/pvc-1:ONLINE',
      'node-a:cstor-a/pvc-1:DEGRADED',
    ]);
  });

  it('LocalPV: <poolName>/<pv>, on the owner node; on two nodes it is ambiguous', () => {
    expect(locateReplicas(cluster, { volume: 'pvc-2', kind: 'localpv', poolName: 'zfspv' }).map((r) => r.node)).toEqual(['node-c']);
    expect(locateReplicas(cluster, { volume: 'pvc-2', kind: 'localpv', poolName: 'zfspv', ownerNode: 'node-a' })).toEqual([]);
    const twice = [...cluster, inv('node-d', 'zfspv', 'ONLINE', [['zfspv/pvc-2', []]])];
    expect(() => locateReplicas(twice, { volume: 'pvc-2', kind: 'localpv', poolName: 'zfspv' })).toThrow(/several nodes.*ownerNode/);
    expect(() => locateReplicas(cluster, { volume: 'pvc-2', kind: 'localpv' })).toThrow(/poolName is required/);
    expect(() => locateReplicas(cluster, { volume: '../x' })).toThrow(/not a valid PV name/);
  });

  it('an explicit dataset override finds exactly that dataset', () => {
    expect(locateReplicas(cluster, { volume: 'pvc-1', dataset: 'cstor-b/other/pvc-1' }).map((r) => r.dataset)).toEqual(['cstor-b/other/pvc-1']);
  });

  it('candidates: ONLINE pool, base present with the expected guid; holders of the snapshot first', () => {
    const replicas = locateReplicas(cluster, { volume: 'pvc-1' });
    const inc = backupCandidates(replicas, { snapName: 's2', prevSnapName: 's1', prevSnapGuid: '11', disableIncrementalBackups: false });
    expect(inc.candidates.map((r) => r.node)).toEqual(['node-b']);
    expect(inc.skipped.map((s) => [s.node, s.code])).toEqual([
      ['node-c', ErrorCode.BASE_MISSING],
      ['node-a', ErrorCode.UNAVAILABLE],
    ]);
    const full = backupCandidates(replicas, { snapName: 's1', prevSnapName: 's0', disableIncrementalBackups: true });
    expect(full.candidates.map((r) => r.node)).toEqual(['node-b', 'node-c']);
    replicas[1]!.snapshots.push({ name: 'new', guid: '5' });
    expect(backupCandidates(replicas, { snapName: 'new', prevSnapName: '', disableIncrementalBackups: false }).candidates.map((r) => r.node)).toEqual(['node-c', 'node-b']);
  });

  it('failover only for node-specific failures', () => {
    for (const c of ['UNAVAILABLE', 'ZFS_FAILED', 'STORE_FAILED', 'STALLED', 'BASE_MISSING', 'NOT_FOUND', 'RESOURCE_EXHAUSTED']) expect(failoverHelps(c)).toBe(true);
    for (const c of ['INVALID_ARGUMENT', 'INVALID_LOCATION', 'ALREADY_EXISTS', 'PART_LIMIT', 'ABORTED', 'PERMISSION_DENIED']) expect(failoverHelps(c)).toBe(false);
  });

  it('schedule volumes: patterns over <pool>/<pv> names, explicit overrides win', () => {
    const v = scheduleVolumes(cluster, ['pvc-*'], [{ volume: 'pvc-9', dataset: 'x/y' }]);
    expect(v).toEqual([{ volume: 'pvc-1' }, { volume: 'pvc-2' }, { volume: 'pvc-9', dataset: 'x/y' }]);
    expect(scheduleVolumes(cluster, ['pvc-?'], [{ volume: 'pvc-1', dataset: 'cstor-b/other/pvc-1' }])).toEqual([{ volume: 'pvc-1', dataset: 'cstor-b/other/pvc-1' }, { volume: 'pvc-2' }]);
    expect(scheduleVolumes(cluster, ['pvc.1'], [])).toEqual([]);
  });
});

describe('discovery', () => {
  it('parses --discovery forms and refuses bad ones naming the forms', () => {
    expect(parseDiscovery('static:10.0.0.1:9443,[fd00::1]:9443')).toEqual({ kind: 'static', agents: ['10.0.0.1:9443', '[fd00::1]:9443'] });
    expect(parseDiscovery('dns:snapstream-agent.openebs.svc:9443@127.0.0.1:5353')).toEqual({ kind: 'dns', name: 'snapstream-agent.openebs.svc', port: 9443, servers: ['127.0.0.1:5353'] });
    expect(parseDiscovery('kubernetes:openebs/app=snapstream-agent,tier in (a,b):9443')).toEqual({ kind: 'kubernetes', namespace: 'openebs', labelSelector: 'app=snapstream-agent,tier in (a,b)', port: 9443 });
    expect(() => parseDiscovery('static:')).toThrow(/no addresses/);
    expect(() => parseDiscovery('static:host')).toThrow(/not host:port/);
    expect(() => parseDiscovery('consul:x')).toThrow(/unknown kind.*forms/);
    expect(() => parseAgentAddress('[nope]:1')).toThrow(/not host:port/);
    expect(() => parseAgentAddress('h:0')).toThrow(/not host:port/);
  });

  it('DNS: every A record of the name; none is NOT_FOUND (retryable)', async () => {
    const dns = await startFakeDns('agents.test', ['10.1.0.1', '10.1.0.2', '10.1.0.1']);
    try {
      expect(await discoverAgents({ kind: 'dns', name: 'agents.test', port: 9443, servers: [dns.server] })).toEqual([{ address: '10.1.0.1:9443' }, { address: '10.1.0.2:9443' }]);
      await expect(discoverAgents({ kind: 'dns', name: 'other.test', port: 9443, servers: [dns.server] })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND, retryable: true });
    } finally {
      await dns.close();
    }
  });

  it('Kubernetes: Running pods with an IP, named after spec.nodeName', async () => {
    const pods = async () => [
      { podIP: '10.2.0.1', nodeName: 'n1', phase: 'Running' },
      { podIP: 'fd00::2', nodeName: 'n2', phase: 'Running' },
      { podIP: '', nodeName: 'n3', phase: 'Pending' },
      { podIP: '10.2.0.4', nodeName: 'n4', phase: 'Failed' },
    ];
    expect(await discoverAgents({ kind: 'kubernetes', namespace: 'o', labelSelector: 'a=b', port: 9443 }, { listPods: pods })).toEqual([
      { address: '10.2.0.1:9443', node: 'n1' },
      { address: '[fd00::2]:9443', node: 'n2' },
    ]);
    await expect(discoverAgents({ kind: 'kubernetes', namespace: 'o', labelSelector: 'a=b', port: 9443 }, { listPods: async () => [] })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
  });
});

describe('NodeLimiter', () => {
  it('runs at most `limit` per node, nodes in parallel, and drops aborted waiters', async () => {
    const l = new NodeLimiter(1);
    const seen: string[] = [];
    let maxA = 0;
    const task = (node: string, ms: number) =>
      l.run(node, async () => {
        maxA = Math.max(maxA, l.active('a'));
        seen.push(`start ${node}`);
        await new Promise((r) => setTimeout(r, ms));
        seen.push(`end ${node}`);
      });
    await Promise.all([task('a', 30), task('a', 10), task('b', 5)]);
    expect(maxA).toBe(1);
    expect(seen.slice(0, 2).sort()).toEqual(['start a', 'start b']);
    const ac = new AbortController();
    const hold = l.run('a', () => new Promise((r) => setTimeout(r, 50)));
    const waiting = l.run('a', async () => 'ran', ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    await hold;
    expect(l.active('a')).toBe(0);
  });
});

describe('manifest node field', () => {
  const base = {
    format: MANIFEST_FORMAT, version: 1, backup: 'b', schedule: '', volume: 'v', dataset: 'p/v', snapshot: 'b', snapshotGuid: '1',
    previousSnapshot: '', previousSnapshotGuid: '', previousBackup: '', dataKey: 'k', size: 0, hash: 'xxh64', streamHash: '0000000000000000',
    parts: [], startedAt: '', finishedAt: '', agent: { name: 'snapstream', version: '0' }, sendArgs: [],
  };
  it('is optional (old manifests parse), kept when present, validated when hostile', () => {
    expect(parseManifest(Buffer.from(JSON.stringify(base)), 'm').node).toBeUndefined();
    expect(parseManifest(Buffer.from(JSON.stringify({ ...base, node: 'node-a.example' })), 'm').node).toBe('node-a.example');
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...base, node: 'x'.repeat(300) })), 'm')).toThrow(/"node" is longer/);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...base, node: 'a\nb' })), 'm')).toThrow(/"node" may only/);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...base, node: 7 })), 'm')).toThrow(/"node" must be a string/);
  });
});

describe('schedules naming volumes (config)', () => {
  it('reads snapstream.io/volume-names on a Velero Schedule and volumeNames in a SnapstreamConfig, refusing bad patterns', async () => {
    const { parseConfig } = await import('../../../src/config/load-config.js');
    const vsl = ['apiVersion: velero.io/v1', 'kind: VolumeSnapshotLocation', 'metadata: { name: main }', 'spec:', '  provider: openebs.io/cstor-blockstore', '  config: { provider: aws, bucket: bkt, region: r }'];
    const sched = (ann: string) => ['---', 'apiVersion: velero.io/v1', 'kind: Schedule', 'metadata:', '  name: nightly', '  annotations:', `    snapstream.io/volume-names: "${ann}"`, 'spec:', '  schedule: "0 1 * * *"', '  template: { ttl: 24h, volumeSnapshotLocations: [main] }'];
    const c = parseConfig([{ file: 'v.yaml', text: [...vsl, ...sched('pvc-*, pvc-db')].join('\n') + '\n' }]);
    expect(c.schedules[0]!.volumeNames).toEqual(['pvc-*', 'pvc-db']);
    expect(() => parseConfig([{ file: 'v.yaml', text: [...vsl, ...sched('pvc/x')].join('\n') + '\n' }])).toThrow(/"pvc\/x" is not a volume name or pattern/);
    const standalone = [
      'apiVersion: snapstream.io/v1', 'kind: SnapstreamConfig', 'locations:', '  - { name: main, provider: aws, bucket: bkt, region: r }',
      'schedules:', '  - { name: n, schedule: "@every 1h", keepLast: 2, volumeNames: ["pvc-?"] }', '',
    ].join('\n');
    const s = parseConfig([{ file: 's.yaml', text: standalone }]);
    expect(s.schedules[0]!.volumeNames).toEqual(['pvc-?']);
    expect(s.schedules[0]!.volumes).toEqual([]);
  });
});

describe('cluster transport security', () => {
  it("'insecure-loopback' refuses to dial anything but loopback; unreadable TLS files are named", async () => {
    const { openCluster } = await import('../../../src/cluster/open-cluster.js');
    const pino = (await import('pino')).default;
    const c = openCluster({ discovery: { kind: 'static', agents: ['10.0.0.1:9443'] }, tls: 'insecure-loopback', log: pino({ level: 'silent' }) });
    expect(() => c.client('10.0.0.1:9443')).toThrow(/refusing plaintext to agent 10.0.0.1:9443/);
    expect(() => c.client('127.0.0.1:9443')).not.toThrow();
    await c.close();
    expect(() => openCluster({ discovery: { kind: 'static', agents: ['h:1'] }, tls: { caFile: '/nonexistent/ca.crt', certFile: 'x', keyFile: 'y' }, log: pino({ level: 'silent' }) })).toThrow(
      /cluster TLS CA file \/nonexistent\/ca.crt cannot be read/,
    );
  });
});

describe('who may call Inventory', () => {
  it('a reader may (it only reads); an unlisted client may not', async () => {
    const { decideCall } = await import('../../../src/agent/client-authz.js');
    const policy = { clients: [{ identity: 'cn:viewer', role: 'reader' as const }], allowAny: false, plaintext: false };
    expect(decideCall('Inventory', { identities: ['cn:viewer'], clientAuth: true }, policy).role).toBe('reader');
    expect(() => decideCall('Backup', { identities: ['cn:viewer'], clientAuth: true }, policy)).toThrow();
    expect(() => decideCall('Inventory', { identities: ['cn:stranger'], clientAuth: true }, policy)).toThrow();
  });
});
