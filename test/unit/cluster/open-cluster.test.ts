import { describe, expect, it } from 'vitest';

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
