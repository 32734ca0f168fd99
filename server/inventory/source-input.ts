import { z } from 'zod';
import { ENGINE_KINDS, getEngine, isEngineKind } from '@/server/engines/registry';
import { DomainError } from '@/server/shared/errors';

export const SourceName = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(100, 'name is at most 100 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, 'name may contain letters, digits, spaces, dots, dashes and underscores');

/** A kind the engine registry knows; the list is the registry's, never repeated here. */
export const SourceKind = z.string({ message: `kind must be one of: ${ENGINE_KINDS.join(', ')}` }).refine(isEngineKind, {
  message: `kind must be one of: ${ENGINE_KINDS.join(', ')}`,
});

/** The envelope every source is created with; `config` is then split by the engine into settings and secrets. */
export const CreateSourceInput = z.object({
  kind: SourceKind,
  name: SourceName,
  config: z.record(z.string(), z.unknown()),
  policyId: z.string({ error: 'policyId must be a policy id' }).uuid({ error: 'policyId must be a policy id' }).optional(),
  /** The service it belongs to, if any (`PATCH /sources/{id}` changes it later). */
  serviceId: z.string({ error: 'serviceId must be a service id' }).uuid({ error: 'serviceId must be a service id' }).optional(),
  /** Probe the connection before saving (default true): a source that cannot be reached is refused. */
  testConnection: z.boolean().default(true),
});
export type CreateSourceInput = z.infer<typeof CreateSourceInput>;

/** Splits a flat engine config into the part stored in clear and the part sealed with the master key. */
export function parseEngineConfig(kind: string, config: Record<string, unknown>) {
  const engine = getEngine(kind);
  const secretKeys = new Set(Object.keys(shapeOf(engine.secretsSchema)));
  const clear = Object.fromEntries(Object.entries(config).filter(([k]) => !secretKeys.has(k)));
  const secret = Object.fromEntries(Object.entries(config).filter(([k]) => secretKeys.has(k) && config[k] !== ''));
  const settings = engine.configSchema.safeParse(clear);
  const secrets = engine.secretsSchema.safeParse(secret);
  const issues = [...(settings.error?.issues ?? []), ...(secrets.error?.issues ?? [])];
  if (!settings.success || !secrets.success) {
    throw new DomainError(
      'VALIDATION',
      issues.map((i) => `config${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`).join('; '),
      { issues: issues.map((i) => ({ path: ['config', ...i.path.map(String)], message: i.message })) },
    );
  }
  const secretValues = Object.fromEntries(Object.entries(secrets.data as object).filter(([, v]) => v !== undefined));
  return { engine, settings: settings.data as Record<string, unknown>, secrets: secretValues };
}

function shapeOf(schema: unknown): Record<string, unknown> {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape && typeof shape === 'object' ? shape : {};
}
