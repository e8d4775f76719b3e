import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { discoverAgents, parseAgentAddress, parseDiscovery } from '../../../src/cluster/discover-agents.js';
import { startFakeDns } from '../../cluster/helpers/fake-dns.js';

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
