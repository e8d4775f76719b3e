import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAgentLogger, isSecretKey, redactConfigMap, redactUrl } from '../../../src/agent/agent-logger.js';
import { requestSummary } from '../../../src/agent/agent-service.js';

const SECRET = 'hunter2-SECRET-VALUE';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createAgentLogger({ level: 'debug', destination }), text: () => lines.join('') };
}

describe('agent log redaction', () => {
  it('censors credential fields at any depth up to four levels', () => {
    const { log, text } = capture();
    log.info({
      secretAccessKey: SECRET,
      req: { credentials: { secretAccessKey: SECRET, sessionToken: SECRET }, password: SECRET },
      headers: { authorization: `Bearer ${SECRET}` },
      a: { b: { c: { token: SECRET, privateKey: SECRET } } },
      tls: { key: SECRET },
      fine: 'visible',
    }, 'request');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('visible');
    expect(text()).toContain('[REDACTED]');
  });

  it('request summaries mask VSL config values and URLs before they are logged', () => {
    const { log, text } = capture();
    const summary = requestSummary({
      dataset: 'tank/vol',
      location: { kind: 'vsl', vsl: { config: { provider: 'aws', bucket: 'b', awsSecretAccessKey: SECRET, apiToken: SECRET, caCert: SECRET } } },
      backupDest: `s3://AKID:${SECRET}@bucket/p?X-Amz-Signature=${SECRET}&region=x`,
    });
    log.info({ req: summary }, 'request');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('tank/vol');
    expect(text()).toContain('"bucket":"b"');
  });

  it('classifies keys', () => {
    for (const k of ['secretAccessKey', 'AWS_SECRET_ACCESS_KEY', 'password', 'sessionToken', 'Authorization', 'privateKey', 'key', 'caCert']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['bucket', 'region', 'provider', 's3Url', 'prefix', 'backupPathPrefix']) expect(isSecretKey(k), k).toBe(false);
    expect(redactConfigMap({ bucket: 'b', secret: 's' })).toEqual({ bucket: 'b', secret: '[REDACTED]' });
    expect(redactUrl(`https://u:${SECRET}@h/p?token=${SECRET}`)).not.toContain(SECRET);
    expect(redactUrl(`not a url ${SECRET}`)).not.toContain(SECRET);
  });
});
