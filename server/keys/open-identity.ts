import { db } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { openSecret } from '@/server/shared/secrets';

/** The age identity of a key, for decryption inside a worker. Fails clearly for a shredded key. */
export async function openIdentity(keyId: string): Promise<string> {
  const key = await db().encryptionKey.findUnique({ where: { id: keyId } });
  if (!key) throw new DomainError('NOT_FOUND', `encryption key ${keyId} not found`);
  if (!key.sealedIdentity) {
    throw new DomainError('INVALID_STATE', `encryption key ${key.name} was shredded on ${key.shreddedAt?.toISOString() ?? '?'}; its recovery points cannot be read`);
  }
  return openSecret<string>(key.sealedIdentity, `encryption-key:${key.id}`);
}
