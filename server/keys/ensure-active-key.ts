import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { generateIdentity } from '@/server/artifacts/keys';
import { db, type Tx } from '@/server/shared/db';
import { sealSecret } from '@/server/shared/secrets';

// Arbitrary constant naming the advisory lock that makes key creation single-file (no two "active" keys at once).
const KEY_LOCK = 7_301_002;

/** Seals an age identity under the master key, bound to the key row it belongs to. */
export const sealIdentity = (keyId: string, identity: string): string => sealSecret(identity, `encryption-key:${keyId}`);

/** Creates a key pair and makes it the active one, retiring the previous active key (it stays readable). */
export async function createActiveKey(tx: Tx, actor: Actor, reason: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${KEY_LOCK})`;
  const pair = await generateIdentity();
  const id = crypto.randomUUID();
  const previous = await tx.encryptionKey.findFirst({ where: { active: true } });
  if (previous) await tx.encryptionKey.update({ where: { id: previous.id }, data: { active: false, retiredAt: new Date() } });
  const key = await tx.encryptionKey.create({
    data: {
      id,
      name: `key-${new Date().toISOString().slice(0, 10)}-${id.slice(0, 8)}`,
      recipient: pair.recipient,
      sealedIdentity: sealIdentity(id, pair.identity),
      active: true,
    },
  });
  await recordAudit(tx, actor, {
    action: previous ? 'key.rotate' : 'key.create',
    targetType: 'encryption_key',
    targetId: key.id,
    details: { recipient: key.recipient, retired: previous?.id ?? null, reason },
  });
  return key;
}

const readActiveKey = async () => db().encryptionKey.findFirst({ where: { active: true } });
type ActiveKey = NonNullable<Awaited<ReturnType<typeof readActiveKey>>>;
let reading: Promise<ActiveKey | null> | undefined;

/**
 * The key new artifacts are encrypted to; created on first use. Callers asking at the same moment (a burst of
 * scheduled backups starting together) share one read: each still gets the key that was active while it waited.
 */
export async function ensureActiveKey(): Promise<ActiveKey> {
  const existing = await (reading ??= readActiveKey().finally(() => (reading = undefined)));
  if (existing) return existing;
  return db().$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${KEY_LOCK})`;
    const again = await tx.encryptionKey.findFirst({ where: { active: true } });
    return again ?? createActiveKey(tx, SYSTEM_ACTOR, 'first encrypted backup');
  });
}
