export { childEnv } from './child-env';
export { describeExit, failedOnItsOwn, spawnProcess, startFailure } from './spawn-process';
export type { PipedChild, ProcessExit, SpawnedProcess, SpawnProcessOptions } from './spawn-process';
export { openPipes } from './open-pipes';
export type { PipeEnds } from './open-pipes';
export { forkTurn } from './fork-turn';
