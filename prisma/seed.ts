import { ensureAdmin } from '@/server/auth/ensure-admin';
import { ensureDemoInventory } from '@/server/inventory/ensure-demo-inventory';
import { disconnectDb } from '@/server/shared/db';

/** First-run seed: admin user and demo inventory. Safe to run on every start. */
async function main(): Promise<void> {
  const admin = await ensureAdmin();
  const inventory = await ensureDemoInventory();
  if (admin.created) {
    console.log(`Created admin ${admin.email}.`);
    if (admin.generated) {
      console.log(`  Generated password (shown once, keep it safe): ${admin.password}`);
    } else {
      console.log('  Password: the value of LIFEBOAT_ADMIN_PASSWORD.');
    }
  } else {
    console.log(`Admin ${admin.email} exists (password as printed on the first run, or LIFEBOAT_ADMIN_PASSWORD).`);
  }
  if (inventory.destinationCreated) console.log('Created the default local-disk destination under the data directory.');
  if (inventory.sourceCreated) console.log('Registered the catalog database as the demo PostgreSQL source "lifeboat-catalog".');
}

main()
  .catch((e: unknown) => {
    console.error(`seed failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => void disconnectDb());
