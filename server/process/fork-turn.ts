/**
 * Starting a child process blocks this whole process: libuv forks, and the kernel copies the parent's page tables
 * before the child can exec (measured here: ~1 ms at 50 MB resident, ~4 ms at a worker's 250–300 MB). A burst of
 * pipelines starting together (a minute boundary of many scheduled backups: zstd and age for each) would fork
 * hundreds of times back to back and hold the event loop for seconds, so nothing else (claims, heartbeats, cancel
 * messages, job fetches) is answered meanwhile. Callers that are about to fork wait for their turn: one turn of the
 * event loop after the previous caller's, so whatever arrived in between is handled before the next fork.
 */
let last: Promise<void> = Promise.resolve();

export function forkTurn(): Promise<void> {
  const turn = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  last = turn;
  return turn;
}
