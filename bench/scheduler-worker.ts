/**
 * A real worker (workers/main.ts) that also runs the bench's instant engine: the scheduler bench's worker process.
 * The engine is added here, not in server/engines/registry.ts, so production workers never run it.
 */
import { createEngineRegistry, ENGINES } from '@/server/engines/registry';
import { startWorkerOrExit } from '@/workers/main';
import { instantEngine } from './instant-engine';

startWorkerOrExit(createEngineRegistry([...ENGINES, instantEngine]));
