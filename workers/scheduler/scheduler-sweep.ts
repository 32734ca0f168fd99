import { catchUp } from './catch-up';
import { reconcileSlots } from './reconcile-slots';
import { loadScheduledSources } from './scheduled-sources';
import { syncSchedulers } from './sync-schedulers';
import { startWaitingSlots } from './waiting-slots';

/**
 * The scheduler's part of every worker's sweep, in order: job schedulers made to match the catalog (so a lost Redis
 * heals within one sweep), slots without a row recorded MISSED or SKIPPED, slots waiting on their destination
 * started (or given up at their deadline), then one catch-up backup per source whose RPO those missed slots breached. Every step is safe with any number of workers running it at once. The catalog is
 * read once per sweep; a schedule changed meanwhile is seen by the next one.
 */
export async function schedulerSweep(sweepMs: number, now = new Date()): Promise<void> {
  const sources = await loadScheduledSources();
  await syncSchedulers(sources);
  await reconcileSlots(sweepMs, now, sources);
  await startWaitingSlots(now, sources);
  await catchUp(now, sources);
}
