import crypto from 'node:crypto';
import { db } from '@/server/shared/db';
import { SYSTEM_ACTOR } from './permissions';
import { createUser } from './users';

export const DEFAULT_ADMIN_EMAIL = 'admin@lifeboat.local';

/**
 * Creates the first admin when there is none. The password comes from LIFEBOAT_ADMIN_PASSWORD or is generated and
 * returned so the caller can print it once; it is stored only as an argon2 hash.
 */
export async function ensureAdmin(): Promise<{ created: boolean; email: string; password?: string; generated?: boolean }> {
  const admin = await db().user.findFirst({ where: { role: 'ADMIN' }, orderBy: { createdAt: 'asc' } });
  if (admin) return { created: false, email: admin.email };
  const given = process.env.LIFEBOAT_ADMIN_PASSWORD;
  // 18 random bytes → 24 base64url characters: strong, and short enough to type.
  const password = given && given.length > 0 ? given : crypto.randomBytes(18).toString('base64url');
  await createUser({ actor: SYSTEM_ACTOR }, { email: DEFAULT_ADMIN_EMAIL, name: 'Administrator', password, role: 'ADMIN' });
  return { created: true, email: DEFAULT_ADMIN_EMAIL, password, generated: !given };
}
