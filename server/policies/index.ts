export { createPolicy, CreatePolicyInput } from './create-policy';
export { updatePolicy, UpdatePolicyInput } from './update-policy';
export { deletePolicy } from './delete-policy';
export { listPolicies } from './list-policies';
export {
  assertPolicyFitsEngine,
  describeSchedule,
  formatSlot,
  inWindow,
  nextRuns,
  PolicySchedule,
  PolicySchedules,
  slotsBetween,
  storedSchedules,
  type ScheduleTiming,
  type StoredSchedule,
} from './schedules';
export type { PolicyDto } from './policy-dto';
