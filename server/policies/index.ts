export { createPolicy, CreatePolicyInput } from './create-policy';
export { listPolicies } from './list-policies';
export type { PolicyDto } from './policy-dto';
