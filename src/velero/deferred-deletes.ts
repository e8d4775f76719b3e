import { joinKey, validateObjectKey } from '../store/object-key.js';
import type { ObjectStore } from '../store/object-store.js';
import { type Layout, validateBackupName } from '../model/layout.js';

/**
 * Deletions Velero asked for that had to wait for dependents (snapshot-delete-plan.ts), one small
 * object each under `[<backupPathPrefix>/]snapstream/deferred-deletes/<volume>/<backup>`. The bucket
 * is the only state, so any plugin process (each Velero call may be a new one) sees the same.
 */
export class DeferredDeletes {
  constructor(
    private readonly store: ObjectStore,
    private readonly layout: Layout,
  ) {}

  private prefix(volume: string): string {
    validateBackupName(volume, 'volume name');
    return validateObjectKey(joinKey(this.layout.backupPathPrefix, 'snapstream', 'deferred-deletes', volume)) + '/';
  }

  async list(volume: string, signal?: AbortSignal): Promise<Set<string>> {
    const prefix = this.prefix(volume);
    const out = new Set<string>();
    for await (const o of this.store.list(prefix, { signal })) {
      const name = o.key.slice(prefix.length);
      if (name !== '' && !name.includes('/')) out.add(name);
    }
    return out;
  }

  async add(volume: string, backup: string, neededBy: readonly string[], signal?: AbortSignal): Promise<void> {
    validateBackupName(backup);
    const body = Buffer.from(JSON.stringify({ backup, volume, requestedAt: new Date().toISOString(), neededBy }) + '\n');
    await this.store.put(this.prefix(volume) + backup, body, { signal, contentType: 'application/json' });
  }

  async remove(volume: string, backup: string, signal?: AbortSignal): Promise<void> {
    validateBackupName(backup);
    await this.store.delete(this.prefix(volume) + backup, { signal });
  }
}
