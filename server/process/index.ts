export { childEnv } from './child-env';
export { describeExit, failedOnItsOwn, spawnProcess, startFailure } from './spawn-process';
export type { PipedChild, ProcessExit, SpawnedProcess, SpawnProcessOptions } from './spawn-process';
