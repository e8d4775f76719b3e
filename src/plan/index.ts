/** Public surface of src/plan: pure planning for scheduled backups, cleanup, retention and restore. */
export {
  deriveCompletedBackup,
  isScheduledBackupName,
  planBackup,
  scheduledBackupName,
  scheduledBackupTime,
  type BackupPlan,
  type BackupPlanInput,
  type CompletedBackup,
} from './backup-plan.js';
export { backupTime, compareBackups } from './backup-order.js';
export { planCleanup, planOrphanCleanup, type CleanupInput, type CleanupPlan, type OrphanInput } from './cleanup-plan.js';
export { planRestore, type RestoreTarget } from './restore-plan.js';
export { planRetention, promotionReason, type DeleteStep, type RetentionInput, type RetentionPlan } from './retention-plan.js';
export { vetDestroys, type DestroyCandidate, type DestroyGuardInput, type RefusedDestroy, type VettedDestroy } from './destroy-guard.js';
