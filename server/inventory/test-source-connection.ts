import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import type { VerbContext } from '@/server/shared/context';
import { getEngine } from '@/server/engines/registry';
import { assertMayManageSourcesOf } from './create-source';
import { SourceKind, parseEngineConfig } from './source-input';

export const TestSourceConnectionInput = z.object({ kind: SourceKind, config: z.record(z.string(), z.unknown()) });
export type TestSourceConnectionInput = z.infer<typeof TestSourceConnectionInput>;

/** Probes a connection without saving anything (the "Test connection" button). */
export async function testSourceConnection(ctx: VerbContext, raw: unknown) {
  authorize(ctx.actor, 'inventory:write');
  const input = TestSourceConnectionInput.parse(raw);
  // A probe of a command source would tell an operator which programs exist where Lifeboat runs.
  assertMayManageSourcesOf(ctx.actor, getEngine(input.kind), 'test');
  const { engine, settings, secrets } = parseEngineConfig(input.kind, input.config);
  return engine.probe(settings as never, secrets as never);
}
