import type { Tx } from '@/server/shared/db';
import { fieldError } from './field-error';

/** A service's tier must exist: 422 naming `tierId` otherwise (a client's mistake, not a missing resource). */
export async function assertTierExists(tx: Tx, tierId: string | null | undefined): Promise<void> {
  if (!tierId) return;
  // FOR KEY SHARE: a concurrent tier delete (none exists today) would wait for this transaction rather than
  // leave the service pointing at nothing; the foreign key would refuse it anyway, this makes it a clear 422.
  const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Tier" WHERE id = ${tierId}::uuid FOR KEY SHARE`;
  if (rows.length === 0) throw fieldError('tierId', `tier ${tierId} does not exist`);
}
