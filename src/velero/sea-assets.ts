import { VELERO_PROTO_FILES } from './velero-proto.js';

/** The proto files embedded in the single executable (keys are paths relative to proto/). */
export const SEA_PROTO_ASSETS = [...VELERO_PROTO_FILES.map((f) => `velero/${f}`), 'snapstream/v1/agent.proto'];
