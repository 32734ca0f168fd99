import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { db } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { openSecret } from '@/server/shared/secrets';
import { createActiveKey } from './ensure-active-key';
import { toKeyDto } from './key-dto';

export async function listKeys(actor: Actor | null) {
  authorize(actor, 'key:manage');
  const keys = await db().encryptionKey.findMany({
    orderBy: { createdAt: 'desc' },
    include: { _count: { select: { recoveryPoints: true } } },
  });
  return keys.map(toKeyDto);
}

/** New backups go to a fresh key pair; points encrypted to older keys stay readable. */
export async function rotateKey(actor: Actor | null) {
  authorize(actor, 'key:manage');
  const key = await db().$transaction((tx) => createActiveKey(tx, actor, 'rotation requested'));
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
export async function shredKey(actor: Actor | null, rawId: unknown, raw: unknown) {
  authorize(actor, 'key:manage');
  const id = z.string().uuid().safeParse(rawId);
  if (!id.success) throw notFound('encryption key', String(rawId));
  const input = ShredKeyInput.parse(raw);
  const key = await db().$transaction(async (tx) => {
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
export async function exportRecoveryKit(actor: Actor | null, formatDoc: string) {
  authorize(actor, 'key:manage');
  const keys = await db().encryptionKey.findMany({ where: { sealedIdentity: { not: null } }, orderBy: { createdAt: 'asc' } });
  await db().$transaction((tx) =>
    recordAudit(tx, actor, {
      action: 'key.export',
      targetType: 'encryption_key',
      targetId: null,
      details: { keys: keys.map((k) => k.id) },
    }),
  );
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
