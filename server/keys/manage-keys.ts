import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { openSecret } from '@/server/shared/secrets';
import { createActiveKey } from './ensure-active-key';
import { toKeyDto } from './key-dto';

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

/**
 * The recovery kit: every readable identity plus the instructions to restore without Lifeboat. Whoever holds it can
 * read every backup, so the download is audited and the text says to keep it offline.
 */
export async function exportRecoveryKit(ctx: VerbContext, formatDoc: string) {
  const { actor } = ctx;
  authorize(actor, 'key:manage');
  // Read in the audited transaction: the event lists exactly the keys the kit holds.
  const keys = await withTransaction(ctx, async (tx) => {
    const readable = await tx.encryptionKey.findMany({ where: { sealedIdentity: { not: null } }, orderBy: { createdAt: 'asc' } });
    await recordAudit(tx, actor, {
      action: 'key.export',
      targetType: 'encryption_key',
      targetId: null,
      details: { keys: readable.map((k) => k.id) },
    });
    return readable;
  });
  const lines = [
    '# Lifeboat recovery kit',
    `# Generated ${new Date().toISOString()}.`,
    '# KEEP THIS FILE OFFLINE (printed, or on removable media in a safe). Anyone holding it can decrypt every backup',
    '# listed below. Save the identities section as key.txt for `age -d -i key.txt`.',
    '',
    '## Identities (age)',
    '',
    ...keys.flatMap((k) => [
      `# ${k.name}  recipient ${k.recipient}  created ${k.createdAt.toISOString()}${k.active ? '  (active)' : ''}`,
      openSecret<string>(k.sealedIdentity!, `encryption-key:${k.id}`),
    ]),
    '',
    '## Restoring without Lifeboat',
    '',
    formatDoc,
  ];
  return lines.join('\n');
}
