import crypto from 'node:crypto';
import { authorize, type Actor } from '@/server/auth/permissions';
import type { AnyEngine } from '@/server/engines/engine';
import { getEngine } from '@/server/engines/registry';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { sealSecret } from '@/server/shared/secrets';
import { CreateSourceInput, parseEngineConfig } from './source-input';
import { SOURCE_SERVICE_SELECT, toSourceDto } from './source-dto';
import { assertPolicyFitsSource, assertServiceExists } from './source-references';
import { isUniqueViolation } from '@/server/shared/prisma-errors';

/**
 * Refuses (FORBIDDEN) an actor below the engine's `creatorRole`: capture command sources run a program of their
 * creator's choosing on every worker, so only an admin may create or edit them. Called after `inventory:write` is
 * checked; the rule is the engine's, read generically.
 */
export function assertMayManageSourcesOf(actor: Actor, engine: AnyEngine, verb: 'create' | 'edit' | 'test' | 'delete'): void {
  if (engine.creatorRole !== 'ADMIN' || actor.role === 'ADMIN') return;
  throw new DomainError(
    'FORBIDDEN',
    `Only an admin may ${verb} ${engine.label} sources: they run a program of their creator's choosing on the workers`,
  );
}

/** Registers something to protect. Its password is sealed with the master key; the audit event never holds it. */
export async function createSource(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const input = CreateSourceInput.parse(raw);
  // Before the config is parsed: an operator learns nothing about what such a source would accept.
  assertMayManageSourcesOf(actor, getEngine(input.kind), 'create');
  const { engine, settings, secrets } = parseEngineConfig(input.kind, input.config);

  if (input.testConnection) {
    const probe = await engine.probe(settings as never, secrets as never);
    if (!probe.ok) {
      throw new DomainError('CONNECTION_FAILED', `Cannot connect to ${input.name}: ${probe.message ?? 'unknown error'}`);
    }
  }

  const id = crypto.randomUUID();
  try {
    const source = await withTransaction(ctx, async (tx) => {
      if (input.policyId) await assertPolicyFitsSource(tx, input.policyId, input.kind);
      if (input.serviceId) await assertServiceExists(tx, input.serviceId);
      const created = await tx.source.create({
        data: {
          id,
          name: input.name,
          kind: input.kind,
          config: settings as object,
          secrets: Object.keys(secrets).length > 0 ? sealSecret(secrets, `source:${id}`) : null,
          policyId: input.policyId ?? null,
          serviceId: input.serviceId ?? null,
        },
        include: { service: SOURCE_SERVICE_SELECT },
      });
      await recordAudit(tx, actor, {
        action: 'source.create',
        targetType: 'source',
        targetId: id,
        details: { name: input.name, kind: input.kind, config: settings, secretKeys: Object.keys(secrets), policyId: input.policyId ?? null, serviceId: input.serviceId ?? null },
      });
      return created;
    });
    return toSourceDto(source);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a source named "${input.name}" already exists`);
    throw e;
  }
}
