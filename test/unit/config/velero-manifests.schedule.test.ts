import { describe, expect, it } from 'vitest';
import { problems, parse, vsl } from './helpers.js';

const LOC = vsl('provider: aws\nbucket: velero\nregion: us-east-1', 'minio');

/** A Velero Schedule; `spec` and `annotations` lines are indented under their parents. */
function schedule(spec: string, annotations = '', name = 'nightly'): string {
  const indent = (s: string, n: number): string =>
    s.split('\n').filter((l) => l.trim() !== '').map((l) => ' '.repeat(n) + l.replace(/^ {6}/, '') + '\n').join('');
  return (
    'apiVersion: velero.io/v1\n' +
    'kind: Schedule\n' +
    'metadata:\n' +
    `  name: ${name}\n` +
    '  namespace: velero\n' +
    (annotations ? '  annotations:\n' + indent(annotations, 4) : '') +
    'spec:\n' +
    indent(spec, 2)
  );
}
const doc = (...parts: string[]): string => parts.join('---\n');

describe('Velero Schedule: valid', () => {
  it('takes name, cron, ttl, location, namespaces; ignores Velero fields snapstream does not use', () => {
    const cfg = parse(
      doc(
        LOC,
        schedule(`
          schedule: "0 1 * * *"
          useOwnerReferencesInBackup: false
          template:
            ttl: 240h0m0s
            includedNamespaces: [app, db]
            excludedResources: [secrets]
            storageLocation: default
            snapshotVolumes: true
            volumeSnapshotLocations: [minio]
            hooks: {}
        `),
      ),
    );
    expect(cfg.schedules).toEqual([
      {
        name: 'nightly',
        source: 'c.yaml:13:1',
        cron: { kind: 'cron', expression: '0 1 * * *', timezone: 'UTC' },
        ttlMs: 240 * 3_600_000,
        volumes: [],
        paused: false,
        includedNamespaces: ['app', 'db'],
        location: 'minio',
      },
    ]);
  });

  const cases: { name: string; spec: string; annotations?: string; want: object }[] = [
    { name: 'no ttl: Velero default 720h', spec: 'schedule: "@daily"\ntemplate: {}', want: { ttlMs: 720 * 3_600_000 } },
    { name: 'ttl 0s: Velero default 720h', spec: 'schedule: "@daily"\ntemplate:\n  ttl: 0s', want: { ttlMs: 720 * 3_600_000 } },
    { name: 'no template at all', spec: 'schedule: "@every 10s"', want: { cron: { kind: 'every', intervalMs: 10_000 }, location: 'minio' } },
    { name: 'paused', spec: 'schedule: "@daily"\npaused: true', want: { paused: true } },
    {
      name: 'keep-last and volumes annotations',
      spec: 'schedule: "@daily"',
      annotations: 'snapstream.io/keep-last: "7"\nsnapstream.io/volumes: "pvc-1=tank/pvc-1, pvc-2=tank/k8s/pvc-2"\nother.io/x: y',
      want: { keepLast: 7, volumes: [{ volume: 'pvc-1', dataset: 'tank/pvc-1' }, { volume: 'pvc-2', dataset: 'tank/k8s/pvc-2' }] },
    },
  ];
  it.each(cases)('$name', ({ spec, annotations, want }) => {
    const [s] = parse(doc(LOC, schedule(spec, annotations))).schedules;
    expect(s).toMatchObject(want);
  });
});

describe('Velero Schedule: problems', () => {
  // The second document starts at line 13: spec at 18 (19 with one annotation line), spec.schedule at 19.
  const cases: { name: string; spec: string; annotations?: string; scheduleName?: string; want: string[] }[] = [
    {
      name: '6-field cron',
      spec: 'schedule: "*/10 * * * * *"',
      want: [
        '19:13: spec.schedule: "*/10 * * * * *" has 6 fields; Velero schedules have 5 (minute hour day-of-month month day-of-week), e.g. "0 1 * * *"; for runs more often than once a minute use "@every 30s"',
      ],
    },
    { name: 'missing schedule', spec: 'template: {}', want: ['19:3: Schedule needs spec.schedule, e.g. schedule: "0 1 * * *"'] },
    {
      name: 'bad ttl',
      spec: 'schedule: "@daily"\ntemplate:\n  ttl: 30d',
      want: ['21:10: spec.template.ttl: "30d" is not a valid duration (unexpected "30d"); write a Go duration such as "60s", "1m30s" or "720h0m0s"'],
    },
    {
      name: 'misspelt template key',
      spec: 'schedule: "@daily"\ntemplate:\n  volumeSnapshotLocation: [minio]',
      want: ['21:5: unknown key "volumeSnapshotLocation" in spec.template; did you mean "volumeSnapshotLocations"?'],
    },
    {
      name: 'misspelt spec key',
      spec: 'schedule: "@daily"\npause: true',
      want: ['20:3: unknown key "pause" in Schedule spec; did you mean "paused"?'],
    },
    {
      name: 'two locations',
      spec: 'schedule: "@daily"\ntemplate:\n  volumeSnapshotLocations: [minio, other]',
      want: ['21:30: spec.template.volumeSnapshotLocations lists 2 locations; snapstream backs a schedule up to exactly one'],
    },
    {
      name: 'unknown location, with a hint',
      spec: 'schedule: "@daily"\ntemplate:\n  volumeSnapshotLocations: [mnio]',
      want: ['13:1: schedule "nightly" uses location "mnio", which is not defined in the config; did you mean "minio"?'],
    },
    {
      name: 'snapshotVolumes false',
      spec: 'schedule: "@daily"\ntemplate:\n  snapshotVolumes: false',
      want: ['21:22: spec.template.snapshotVolumes is false: this schedule would take no volume snapshots; remove it from the snapstream config or set it to true'],
    },
    {
      name: 'paused as a string',
      spec: 'schedule: "@daily"\npaused: "true"',
      want: ['20:11: spec.paused must be true or false (unquoted: it is a boolean field)'],
    },
    {
      name: 'keep-last not a number',
      spec: 'schedule: "@daily"',
      annotations: 'snapstream.io/keep-last: "seven"',
      want: ['19:30: snapstream.io/keep-last: "seven" must be a whole number of backups, at least 1 (e.g. 7)'],
    },
    {
      name: 'keep-last zero',
      spec: 'schedule: "@daily"',
      annotations: 'snapstream.io/keep-last: "0"',
      want: ['19:30: snapstream.io/keep-last: "0" must be a whole number of backups, at least 1 (e.g. 7)'],
    },
    {
      name: 'misspelt snapstream annotation',
      spec: 'schedule: "@daily"',
      annotations: 'snapstream.io/keeplast: "3"',
      want: ['19:5: unknown key "snapstream.io/keeplast" in metadata.annotations; did you mean "snapstream.io/keep-last"?'],
    },
    {
      name: 'volumes annotation malformed and bad dataset',
      spec: 'schedule: "@daily"',
      annotations: 'snapstream.io/volumes: "pvc-1, pvc-2=tank/../x"',
      want: [
        '19:28: snapstream.io/volumes: "pvc-1" must be volume=dataset, e.g. "pvc-1=tank/pvc-1"',
        '19:28: invalid dataset name "tank/../x": has a "." or ".." component',
      ],
    },
    {
      name: 'volume listed twice',
      spec: 'schedule: "@daily"',
      annotations: 'snapstream.io/volumes: "a=tank/a,a=tank/b"',
      want: ['19:28: snapstream.io/volumes: volume "a" is listed twice'],
    },
    {
      name: 'schedule name too long for backup names',
      spec: 'schedule: "@daily"',
      scheduleName: 'a'.repeat(239),
      want: ['16:9: Schedule name "' + 'a'.repeat(239) + '" is longer than 238 characters (backup names add "-YYYYMMDDhhmmss")'],
    },
    {
      name: 'uppercase schedule name',
      spec: 'schedule: "@daily"',
      scheduleName: 'Nightly',
      want: ['16:9: Schedule name "Nightly" must consist of lowercase letters, digits, "-" and ".", and start and end with a letter or digit'],
    },
  ];
  it.each(cases)('$name', ({ spec, annotations, scheduleName, want }) => {
    expect(problems(doc(LOC, schedule(spec, annotations, scheduleName)))).toEqual(want);
  });

  it('no location defined anywhere', () => {
    expect(problems(schedule('schedule: "@daily"'))).toEqual([
      '1:1: schedule "nightly" does not say which location to use and none is defined; set it (Schedule: spec.template.volumeSnapshotLocations, standalone: location)',
    ]);
  });

  it('two locations and the schedule names none', () => {
    const other = vsl('provider: gcp\nbucket: other', 'gcs');
    expect(problems(doc(LOC, other, schedule('schedule: "@daily"')))).toEqual([
      '24:1: schedule "nightly" does not say which location to use and there are 2 (minio, gcs); set it (Schedule: spec.template.volumeSnapshotLocations, standalone: location)',
    ]);
  });
});
