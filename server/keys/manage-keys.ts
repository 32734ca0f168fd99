import { z } from 'zod';
import { verifyPassword } from '@/server/auth/password';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { db } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { openSecret } from '@/server/shared/secrets';
import { createActiveKey } from './ensure-active-key';
import { toKeyDto } from './key-dto';
import { operatorGuide, renderRecoveryKit } from './kit-text';

export async function listKeys(ctx: VerbContext) {
  authorize(ctx.actor, 'key:manage');
  const keys = await readerOf(ctx).encryptionKey.findMany({
    orderBy: { createdAt: 'desc' },
    include: { _count: { select: { recoveryPoints: true } } },
  });
  return keys.map(toKeyDto);
}

/** New backups go to a fresh key pair; points encrypted to older keys stay readable. */
export async function rotateKey(ctx: VerbContext) {
  const { actor } = ctx;
  authorize(actor, 'key:manage');
  const key = await withTransaction(ctx, (tx) => createActiveKey(tx, actor, 'rotation requested'));
  return toKeyDto(key);
}

export const ShredKeyInput = z.object({
  /** The key's name typed again: shredding cannot be undone. */
  confirm: z.string().min(1, 'confirm must repeat the key name'),
});
export type ShredKeyInput = z.infer<typeof ShredKeyInput>;

/**
 * Crypto-shredding: deletes a key's identity so every recovery point encrypted to it becomes unreadable (for GDPR
 * erasure of specific points). The active key cannot be shredded; rotate first.
 */
export async function shredKey(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'key:manage');
  const id = z.string().uuid().safeParse(rawId);
  if (!id.success) throw notFound('encryption key', String(rawId));
  const input = ShredKeyInput.parse(raw);
  const key = await withTransaction(ctx, async (tx) => {
    const key = await tx.encryptionKey.findUnique({ where: { id: id.data }, include: { recoveryPoints: { select: { id: true } } } });
    if (!key) throw notFound('encryption key', id.data);
    if (input.confirm !== key.name) throw new DomainError('VALIDATION', `confirm must be the key name "${key.name}"`);
    if (key.active) throw new DomainError('INVALID_STATE', 'the active key cannot be shredded; rotate keys first');
    if (!key.sealedIdentity) throw new DomainError('INVALID_STATE', `key ${key.name} is already shredded`);
    const updated = await tx.encryptionKey.update({
      where: { id: key.id },
      data: { sealedIdentity: null, shreddedAt: new Date(), retiredAt: key.retiredAt ?? new Date() },
      include: { _count: { select: { recoveryPoints: true } } },
    });
    await recordAudit(tx, actor, {
      action: 'key.shred',
      targetType: 'encryption_key',
      targetId: key.id,
      details: { name: key.name, recipient: key.recipient, unreadablePoints: key.recoveryPoints.map((p) => p.id) },
    });
    return updated;
  });
  return toKeyDto(key);
}

export const ExportRecoveryKitInput = z.strictObject({
  /** The signed-in admin's password, entered again: a session left open on a desk must not be enough. */
  password: z.string().min(1, 'enter your password again to export the recovery kit').max(200),
});
export type ExportRecoveryKitInput = z.infer<typeof ExportRecoveryKitInput>;

/**
 * The recovery kit: every readable identity plus the instructions to restore without Lifeboat. Whoever holds it can
 * read every backup, so:
 * - only a signed-in admin exports it, after entering their password again (`raw.password`); an API token never
 *   does (SESSION_REQUIRED, 403), not even an admin's: a leaked CI token must not become every backup's key;
 * - a user without a password (OIDC only) cannot export it: re-authenticating through the identity provider is not
 *   built, so the kit is a password user's duty (FORBIDDEN, saying so);
 * - the system actor (the CLI on the server, tests) needs no password: it reads the master key anyway;
 * - every export is audited (`key.export`, with the request's address and user agent from the actor), and so is a
 *   wrong password (`result: refused`), in its own transaction since the refusal throws.
 */
export async function exportRecoveryKit(ctx: VerbContext, formatDoc: string, raw?: unknown) {
  const { actor } = ctx;
  authorize(actor, 'key:manage');
  if (actor.type === 'token') {
    throw new DomainError('SESSION_REQUIRED', 'the recovery kit is exported from a signed-in session with your password, never with an API token');
  }
  if (actor.type === 'user') await assertPasswordAgain(actor, raw);
  // Read in the audited transaction: the event lists exactly the keys the kit holds.
  const keys = await withTransaction(ctx, async (tx) => {
    const readable = await tx.encryptionKey.findMany({ where: { sealedIdentity: { not: null } }, orderBy: { createdAt: 'asc' } });
    await recordAudit(tx, actor, {
      action: 'key.export',
      targetType: 'encryption_key',
      targetId: null,
      details: { keys: readable.map((k) => k.id), reauthenticated: actor.type === 'user' },
    });
    return readable;
  });
  return renderRecoveryKit(
    keys.map((k) => ({ ...k, identity: openSecret<string>(k.sealedIdentity!, `encryption-key:${k.id}`) })),
    operatorGuide(formatDoc),
  );
}

async function assertPasswordAgain(actor: Actor, raw: unknown): Promise<void> {
  const input = ExportRecoveryKitInput.parse(raw ?? {});
  const user = await db().user.findUnique({ where: { id: actor.id! }, select: { passwordHash: true } });
  if (!user?.passwordHash) {
    throw new DomainError('FORBIDDEN', 'the recovery kit needs an account with a password: sign in with one (single sign-on cannot confirm it again)');
  }
  if (await verifyPassword(user.passwordHash, input.password)) return;
  await db().$transaction((tx) =>
    recordAudit(tx, actor, { action: 'key.export', targetType: 'encryption_key', targetId: null, details: { reason: 'wrong password' }, result: 'refused' }),
  );
  throw new DomainError('FORBIDDEN', 'the password is not correct');
}
