import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { SourceKind, parseEngineConfig } from './source-input';

export const TestSourceConnectionInput = z.object({ kind: SourceKind, config: z.record(z.string(), z.unknown()) });
export type TestSourceConnectionInput = z.infer<typeof TestSourceConnectionInput>;

/** Probes a connection without saving anything (the "Test connection" button). */
export async function testSourceConnection(actor: Actor | null, raw: unknown) {
  authorize(actor, 'inventory:write');
  const input = TestSourceConnectionInput.parse(raw);
  const { engine, settings, secrets } = parseEngineConfig(input.kind, input.config);
  return engine.probe(settings as never, secrets as never);
}
