// Public surface of retention: the pure planner (plan-retention.ts, retention-policy.ts, duration.ts, periods.ts:
// no database, no storage; plan-scopes.ts runs it per scope: primary and each copy destination with its own retention)
// and the verbs that apply it (policy and copy retention, dry-run plan, hold, lock, delete, partial prunes, prune).
export { planRetention, newestFirst, type RetentionPlan, type RetentionPoint } from './plan-retention';
export {
  RetentionPolicy,
  RetentionTier,
  RetentionDuration,
  RetentionTimeZone,
  hasKeepRule,
  parseRetentionPolicy,
  type RetentionPolicyInput,
} from './retention-policy';
export { parseDuration, subtractDuration, type Duration } from './duration';
export { setPolicyRetention } from './set-policy-retention';
export { setPolicyCopyRetention } from './set-copy-retention';
export { planScopedRetention, type ScopedPoint, type CopyScope, type ScopedRetentionPlan } from './plan-scopes';
export { planSourcePruning, type SourcePruningPlan, type CopyScopePlan, type ScopeRef } from './plan-source-pruning';
export { setLegalHold, SetLegalHoldInput } from './set-legal-hold';
export { lockRecoveryPoint, LockRecoveryPointInput } from './set-retention-lock';
export { deleteRecoveryPoint, type DeleteRecoveryPointResult } from './delete-recovery-point';
export { prunePrimary, type PrunePrimaryResult } from './prune-primary';
export { pruneCopy, type PruneCopyResult } from './prune-copy';
export { pruneSource, type PruneResult } from './prune-source';
export { requestPrune } from './request-prune';
export { RETENTION_ACTOR } from './ids';
