import crypto from 'node:crypto';
import { z } from 'zod';
import { db } from '@/server/shared/db';
import { noControlChars } from '@/server/shared/text';
import { SYSTEM_ACTOR } from './permissions';
import { CreateUserInput, createUser } from './users';

export const DEFAULT_ADMIN_EMAIL = 'admin@lifeboat.local';

/**
 * The first admin's setting, apart from SharedEnv: only the seed reads it. Unset or empty means "generate one";
 * a given password follows the same rules as any user's (CreateUserInput), checked here so the error names the
 * variable instead of failing inside createUser.
 */
const AdminEnv = z.object({
  LIFEBOAT_ADMIN_PASSWORD: z
    .literal('')
    .transform(() => undefined)
    .or(CreateUserInput.shape.password.refine(...noControlChars))
    .optional(),
});
export type AdminEnv = z.infer<typeof AdminEnv>;

/** Parses `source`; throws one readable error naming the variable. */
export function parseAdminEnv(source: Record<string, string | undefined> = process.env): AdminEnv {
  const parsed = AdminEnv.safeParse({ LIFEBOAT_ADMIN_PASSWORD: source.LIFEBOAT_ADMIN_PASSWORD });
  if (!parsed.success) {
    // The union's last branch holds the password rule that failed; never echo the value itself.
    const issue = parsed.error.issues[0];
    const message = issue?.code === 'invalid_union' ? (issue.errors.at(-1)?.[0]?.message ?? issue.message) : issue?.message;
    throw new Error(`Invalid environment: LIFEBOAT_ADMIN_PASSWORD: ${message}`);
  }
  return parsed.data;
}

/**
 * Creates the first admin when there is none. The password comes from LIFEBOAT_ADMIN_PASSWORD or is generated and
 * returned so the caller can print it once; it is stored only as an argon2 hash. The setting is checked first, even
 * when an admin exists, so a bad value is reported on the run that sets it.
 */
export async function ensureAdmin(): Promise<{ created: boolean; email: string; password?: string; generated?: boolean }> {
  const given = parseAdminEnv().LIFEBOAT_ADMIN_PASSWORD;
  const admin = await db().user.findFirst({ where: { role: 'ADMIN' }, orderBy: { createdAt: 'asc' } });
  if (admin) return { created: false, email: admin.email };
  // 18 random bytes → 24 base64url characters: strong, and short enough to type.
  const password = given ?? crypto.randomBytes(18).toString('base64url');
  await createUser({ actor: SYSTEM_ACTOR }, { email: DEFAULT_ADMIN_EMAIL, name: 'Administrator', password, role: 'ADMIN' });
  return { created: true, email: DEFAULT_ADMIN_EMAIL, password, generated: given === undefined };
}
