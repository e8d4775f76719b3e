/** Public surface of src/config: parse Velero manifests and the standalone format into validated config. */
export { loadConfigFiles, parseConfig } from './load-config.js';
export { configError, type ConfigProblem } from './config-source.js';
export { DEFAULT_REST_API_TIMEOUT_MS, LOCATION_KEYS, MIN_PART_SIZE, type LocationBehaviour } from './location-settings.js';
export { parseBoolean } from '../parse/parse-boolean.js';
export { parseCron, type CronSpec } from './parse-cron.js';
export { parseGoDuration } from '../parse/parse-duration.js';
export { parseQuantityBytes } from '../parse/parse-quantity.js';
export { VELERO_DEFAULT_TTL_MS } from './schedule-fields.js';
export { STANDALONE_API_VERSION, STANDALONE_KIND } from './standalone-config.js';
export { ANNOTATION_KEEP_LAST, ANNOTATION_VOLUMES, VELERO_API_VERSION } from './velero-manifests.js';
export type { ScheduleConfig, SnapshotLocation, SnapstreamConfig, VolumeRef } from './types.js';
