import { getEngine } from '@/server/engines/registry';
import type { Tx } from '@/server/shared/db';
import { DomainError, isDomainError } from '@/server/shared/errors';
import { assertPolicyFitsEngine, storedSchedules } from '@/server/policies/schedules';

/**
 * A source may use a policy only if its engine offers every backup type the policy's schedules ask for (PostgreSQL
 * logical offers only `full`): otherwise the schedule would fire runs the engine must refuse. The rule is the
 * policies' own (`assertPolicyFitsEngine`, which `updatePolicy` applies to the sources already using it); here its
 * refusal is re-worded to name `policyId`, the field of this request. A missing policy is 422 naming `policyId` too.
 */
export async function assertPolicyFitsSource(tx: Tx, policyId: string, engineKind: string): Promise<void> {
  const policy = await tx.policy.findUnique({ where: { id: policyId }, select: { id: true, name: true, schedules: true } });
  if (!policy) throw policyIssue(`policy ${policyId} does not exist`);
  try {
    assertPolicyFitsEngine(storedSchedules(policy.schedules), engineKind);
  } catch (e) {
    if (!isDomainError(e) || e.code !== 'VALIDATION') throw e;
    const engine = getEngine(engineKind);
    throw policyIssue(`policy "${policy.name}" does not fit this ${engine.label} source: ${e.message}`);
  }
}

/** A source's service must exist: 422 naming `serviceId` otherwise. */
export async function assertServiceExists(tx: Tx, serviceId: string): Promise<void> {
  const service = await tx.service.findUnique({ where: { id: serviceId }, select: { id: true } });
  if (!service) throw fieldIssue('serviceId', `service ${serviceId} does not exist`);
}

const policyIssue = (message: string) => fieldIssue('policyId', message);

/** Shaped like zod's issues, so forms show it under the field. */
function fieldIssue(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', `${field}: ${message}`, { issues: [{ path: [field], message }] });
}
