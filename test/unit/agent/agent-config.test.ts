import { describe, expect, it } from 'vitest';
import { buildAgentConfig, isLoopbackHost, parseBytes } from '../../../src/agent/agent-config.js';

const tls = { caFile: '/ca', certFile: '/crt', keyFile: '/key' };
/** With TLS, clients (or the allow-any opt-out) are required; client-authz.test.ts covers them. */
const clients = [{ identity: 'cn:op', role: 'operator' }];

describe('buildAgentConfig', () => {
  it('takes backup keys from its own config only: absolute paths, known keys', () => {
    const c = buildAgentConfig({ tls, clients, allowedPools: ['tank'], keys: { signingKeyFile: '/k/s.pem', trustedKeyFiles: ['/k/a.pub', '/k/b.pub'], encryptionKeyFile: '/k/e.key' } });
    expect(c.keys).toEqual({ signingKeyFile: '/k/s.pem', trustedKeyFiles: ['/k/a.pub', '/k/b.pub'], encryptionKeyFile: '/k/e.key', allowUnauthenticated: false });
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['tank'], keys: { signingKeyFile: 'rel.pem' } })).toThrow(/keys.signingKeyFile.*absolute path/);
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['tank'], keys: { signingKey: '/x' } })).toThrow(/unknown config key keys.signingKey/);
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['tank'], keys: { trustedKeyFiles: '/x' } })).toThrow(/keys.trustedKeyFiles/);
  });

  it('accepts mTLS on any address with allowed pools, and fills defaults', () => {
    const c = buildAgentConfig({ tls, clients, allowedPools: ['tank', 'pool2/volumes'] });
    expect(c.listen).toBe('0.0.0.0:9443');
    expect(c.memoryBudgetBytes).toBe(256 * 1024 * 1024);
    expect(c.allowedPools).toEqual(['tank', 'pool2/volumes']);
  });

  it('refuses to start without TLS unless plaintext is explicit', () => {
    expect(() => buildAgentConfig({ allowedPools: ['tank'] })).toThrow(/no TLS configured/);
  });

  it('allows plaintext only on loopback', () => {
    expect(buildAgentConfig({ insecurePlaintext: true, listen: '127.0.0.1:0', allowedPools: ['tank'] }).insecurePlaintext).toBe(true);
    expect(buildAgentConfig({ insecurePlaintext: 'true', listen: '[::1]:9443', allowedPools: ['tank'] }).insecurePlaintext).toBe(true);
    for (const listen of ['0.0.0.0:9443', '10.0.0.5:9443', '[::]:9443', 'agent.example:9443']) {
      expect(() => buildAgentConfig({ insecurePlaintext: true, listen, allowedPools: ['tank'] })).toThrow(/only allowed on a loopback address/);
    }
  });

  it('requires allowed pools (or an explicit allow-any)', () => {
    expect(() => buildAgentConfig({ tls })).toThrow(/no allowedPools/);
    expect(buildAgentConfig({ tls, clients, allowAnyPool: true }).allowedPools).toEqual([]);
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['-o x'] })).toThrow(/allowedPools/);
  });

  it('rejects unknown keys and bad values with the key named', () => {
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['t'], memoryBudget: '1Gi' })).toThrow(/unknown config key "memoryBudget"/);
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['t'], maxConcurrentJobs: 0 })).toThrow(/maxConcurrentJobs/);
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['t'], listen: 'nope' })).toThrow(/listen/);
  });
});

describe('parseBytes / isLoopbackHost', () => {
  it('parses sizes', () => {
    expect(parseBytes('256Mi', 'x')).toBe(268435456);
    expect(parseBytes('1Gi', 'x')).toBe(1073741824);
    expect(parseBytes('2G', 'x')).toBe(2e9);
    expect(parseBytes(1024, 'x')).toBe(1024);
    expect(() => parseBytes('12 parsecs', 'x')).toThrow(/not a valid size/);
  });
  it('reads sizes with the one quantity parser: "m" is milli, suffixes are case-sensitive', () => {
    // It used to read "512m" as 512 * 10^6 here while every other size in snapstream read it as milli.
    expect(() => parseBytes('512m', 'memoryBudgetBytes')).toThrow(/config memoryBudgetBytes: "512m" is not a valid size \("m" is milli/);
    expect(parseBytes('512M', 'x')).toBe(512e6);
    expect(parseBytes('1000m', 'x')).toBe(1);
    for (const v of ['64MiB', '2g', '1gi', true]) expect(() => parseBytes(v, 'x'), String(v)).toThrow(/not a valid size|byte size/);
    expect(() => buildAgentConfig({ tls, clients, allowedPools: ['t'], memoryBudgetBytes: '256m' })).toThrow(/memoryBudgetBytes.*milli/);
  });
  it('knows loopback', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});
