import { urlBucket, vslBucket } from '../bucket-name.js';
import type { StoreBackend, UrlInput, VslInput } from '../store-backend.js';
import type { GcsStoreConfig } from './gcs-config.js';

const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * Google Cloud Storage. Credentials are Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
 * workload identity) unless `credentialsFile` names a service-account key file (a mounted Secret).
 */
export const gcsBackend: StoreBackend<GcsStoreConfig> = {
  provider: 'gcp',
  title: 'Google Cloud Storage',
  scheme: 'gs',
  urlForm: 'gs://bucket/prefix',
  urlParams: ['project', 'credentialsFile', 'parallelUpload'],
  // project, credentialsFile, parallelUpload: snapstream's own (credentialsFile as velero-plugin-for-gcp names it).
  vslKeys: ['bucket', 'project', 'credentialsFile', 'parallelUpload'],
  // A path to a key file, not the key; a request may repeat it only as its grant has it.
  settingsNotSecrets: ['credentialsFile'],
  secretFields: ['private_key', 'privateKey', 'credentials', 'client_secret', 'refresh_token'],

  parseUrl(u: UrlInput) {
    const bucket = urlBucket(u);
    const keyFile = u.params.get('credentialsFile');
    if (keyFile !== undefined && !keyFile.startsWith('/')) {
      u.bad(`has credentialsFile=${keyFile}, which is not an absolute path`, 'give the absolute path of a service-account key file, or leave it out to use Application Default Credentials');
    }
    const projectId = u.params.get('project');
    return {
      store: {
        provider: 'gcp',
        bucket,
        ...(projectId !== undefined ? { projectId } : {}),
        ...(keyFile !== undefined ? { keyFile } : {}),
        parallelUpload: u.bool('parallelUpload', false),
      },
    };
  },

  readVsl(v: VslInput) {
    const bucket = vslBucket(v);
    const parallelUpload = v.bool('parallelUpload', false);
    const project = v.get('project');
    if (project !== undefined && !GCP_PROJECT.test(project)) {
      v.report('project', `${v.what}.project "${project}" is not a Google Cloud project id (6-30 lowercase letters, digits, "-")`);
    }
    const creds = v.get('credentialsFile');
    if (creds !== undefined && !creds.startsWith('/')) {
      v.report('credentialsFile', `${v.what}.credentialsFile "${creds}" must be an absolute path to a service-account key file (e.g. a mounted Secret)`);
    }
    if (bucket === undefined) return undefined;
    return { provider: 'gcp', bucket, parallelUpload, ...(project !== undefined ? { projectId: project } : {}), ...(creds !== undefined ? { keyFile: creds } : {}) };
  },

  label(cfg, backupPathPrefix) {
    return `gs://${cfg.bucket}/${backupPathPrefix}`;
  },

  async open(cfg, deps) {
    // Loaded on demand: the GCS client is large and most nodes use one provider.
    const { GcsStore } = await import('./gcs-store.js');
    const { checkCredentialsFile } = await import('./check-credentials-file.js');
    const credentials = cfg.keyFile ? await checkCredentialsFile(cfg.keyFile) : undefined;
    return new GcsStore(cfg, {
      root: '',
      log: deps.log,
      ...(credentials ? { credentials } : {}),
      ...(deps.env.gcsEmulatorHost ? { emulatorHost: deps.env.gcsEmulatorHost } : {}),
    });
  },
};
