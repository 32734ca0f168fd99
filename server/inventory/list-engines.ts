import { authorize } from '@/server/auth/permissions';
import { engineInfo, type EngineInfo } from '@/server/engines/engine-info';
import { engineRegistry } from '@/server/engines/registry';
import type { VerbContext } from '@/server/shared/context';

/** The registered engines as the dashboard renders them: kinds, labels, form fields, backup types, restore modes. */
export function listEngines(ctx: VerbContext): EngineInfo[] {
  authorize(ctx.actor, 'inventory:read');
  return engineRegistry.engines.map(engineInfo);
}
