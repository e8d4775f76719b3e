import type { ResolvedS3Config } from './s3-config.js';
import type { AwsCredentials } from './sigv4.js';

/**
 * The credentials the SDK's default chain would take from the environment, where that is its answer:
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), no profile on the location and
 * no AWS_PROFILE (with either, the chain skips the environment; @aws-sdk/credential-provider-node's
 * defaultProvider), no AWS_CREDENTIAL_EXPIRATION (an expiring pair is left to the SDK's refresh).
 * Undefined otherwise: every other source (profiles, web identity, SSO, ECS, IMDS) stays with the
 * SDK's providers, loaded when first asked. Read once, when the store is opened.
 */
export function staticEnvCredentials(cfg: ResolvedS3Config, env: Readonly<Record<string, string | undefined>> = process.env): AwsCredentials | undefined {
  if (cfg.profile || env.AWS_PROFILE || env.AWS_CREDENTIAL_EXPIRATION) return undefined;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}
