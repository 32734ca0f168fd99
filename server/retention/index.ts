// Public surface of retention: the pure planner (plan-retention.ts, retention-policy.ts, duration.ts, periods.ts:
// no database, no storage) and the verbs that apply it (policy retention, dry-run plan, hold, lock, delete, prune).
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
export { planSourcePruning, type SourcePruningPlan } from './plan-source-pruning';
export { setLegalHold, SetLegalHoldInput } from './set-legal-hold';
export { lockRecoveryPoint, LockRecoveryPointInput } from './set-retention-lock';
export { deleteRecoveryPoint, type DeleteRecoveryPointResult } from './delete-recovery-point';
export { pruneSource, type PruneResult } from './prune-source';
export { requestPrune } from './request-prune';
export { RETENTION_ACTOR } from './ids';
