// Public surface of retention: pure planning only. The prune job (elsewhere) loads points, calls planRetention,
// and carries out the plan; nothing here touches the database or storage.
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
