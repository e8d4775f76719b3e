/** Kubernetes object names (DNS-1123 subdomain): what Velero accepts for schedules and locations. */
export const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** "-YYYYMMDDhhmmss" is appended to a schedule name and the result must still be a valid name. */
export const MAX_SCHEDULE_NAME = 253 - 15;
export const MAX_NAME = 253;

/** Why `name` is not a valid object name, or undefined when it is. */
export function k8sNameProblem(name: string, max = MAX_NAME): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > max) return `is longer than ${max} characters`;
  if (!K8S_NAME.test(name)) {
    return 'must consist of lowercase letters, digits, "-" and ".", and start and end with a letter or digit' +
      (name.includes('_') ? ` (Kubernetes rejects "_"; try "${name.replace(/_/g, '-')}")` : '');
  }
  return undefined;
}
