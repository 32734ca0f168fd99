import path from 'node:path';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { db } from '@/server/shared/db';
import { postgresEngine } from '@/server/engines/postgres';
import { env } from '@/server/shared/env';
import { createSource } from './create-source';

/**
 * First-run inventory: a local-disk destination under the data directory (the default for new sources) and the
 * catalog database itself as a PostgreSQL source, so a new user can press "Back up now" at once. Idempotent.
 */
export async function ensureDemoInventory(): Promise<{ destinationCreated: boolean; sourceCreated: boolean }> {
  let destinationCreated = false;
  const existing = await db().destination.findFirst({ where: { isDefault: true } });
  if (!existing) {
    const backupsDir = path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'backups');
    await db().$transaction(async (tx) => {
      const dest = await tx.destination.create({
        data: { name: 'local-backups', kind: 'local', config: { path: backupsDir }, isDefault: true },
      });
      await recordAudit(tx, SYSTEM_ACTOR, {
        action: 'destination.create',
        targetType: 'destination',
        targetId: dest.id,
        details: { name: dest.name, kind: dest.kind, path: backupsDir, reason: 'first-run seed' },
      });
    });
    destinationCreated = true;
  }

  let sourceCreated = false;
  if ((await db().source.count()) === 0) {
    const url = new URL(env().DATABASE_URL);
    const config: Record<string, unknown> = {
      host: url.hostname || '127.0.0.1',
      port: Number(url.port || 5432),
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
      user: decodeURIComponent(url.username || process.env.USER || 'postgres'),
    };
    if (url.password) config.password = decodeURIComponent(url.password);
    await createSource({ actor: SYSTEM_ACTOR }, { kind: postgresEngine.kind, name: 'lifeboat-catalog', config, testConnection: false });
    sourceCreated = true;
  }
  return { destinationCreated, sourceCreated };
}
