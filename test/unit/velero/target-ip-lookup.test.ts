import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { type ServiceInfo, chooseTargetIp, lookupTargetIp } from '../../../src/velero/target-ip-lookup.js';

const svc = (name: string, ip: string, labels: Record<string, string>): ServiceInfo => ({ name, clusterIP: ip, labels });
const labels = (pv: string, target = true) => ({ 'openebs.io/persistent-volume': pv, ...(target ? { 'openebs.io/target-service': 'cstor-target-svc' } : {}) });

describe('the cStor target IP (autoSetTargetIP)', () => {
  it("takes the volume's target Service, never a headless one or another volume's", () => {
    expect(chooseTargetIp('pv1', 'openebs', [svc('pv1-x', '10.0.0.2', labels('pv1', false)), svc('pv1', '10.0.0.1', labels('pv1')), svc('pv2', '10.0.0.3', labels('pv2'))])).toBe('10.0.0.1');
    // Without a target-service label, any Service of that volume with a cluster IP.
    expect(chooseTargetIp('pv1', 'openebs', [svc('pv1', 'fd00::10', labels('pv1', false))])).toBe('fd00::10');
    expect(() => chooseTargetIp('pv1', 'openebs', [svc('pv1', 'None', labels('pv1')), svc('pv2', '10.0.0.3', labels('pv2'))])).toThrow(
      /no Service with a cluster IP labelled openebs.io\/persistent-volume=pv1 in namespace openebs/,
    );
  });

  it('asks for the label of that volume in the namespace given; none is NOT_FOUND', async () => {
    const asked: string[] = [];
    const ip = await lookupTargetIp('pvc-9', { namespace: 'storage' }, async (q) => {
      asked.push(`${q.namespace}:${q.labelSelector}`);
      return [svc('pvc-9', '10.96.1.2', labels('pvc-9'))];
    });
    expect(ip).toBe('10.96.1.2');
    expect(asked).toEqual(['storage:openebs.io/persistent-volume=pvc-9']);
    await expect(lookupTargetIp('pvc-9', { namespace: 'openebs' }, async () => [])).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
  });
});
