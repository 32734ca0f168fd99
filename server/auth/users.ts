import { z } from 'zod';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { db } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { toUserDto } from './manage-users';
import { hashPassword, verifyPassword } from './password';
import { authorize, ROLES, type Actor } from './permissions';

export const CreateUserInput = z.object({
  email: z.string().trim().toLowerCase().email('a valid email is required'),
  name: z.string().trim().min(1).max(100),
  // 12 characters: NIST 800-63B allows 8, but these accounts can restore production data.
  password: z.string().min(12, 'password must be at least 12 characters').max(200),
  role: z.enum(ROLES),
});
export type CreateUserInput = z.infer<typeof CreateUserInput>;

export async function createUser(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'user:manage');
  const input = CreateUserInput.parse(raw);
  const passwordHash = await hashPassword(input.password);
  try {
    return await withTransaction(ctx, async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, role: input.role, passwordHash } });
      await recordAudit(tx, actor, {
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        details: { email: user.email, role: user.role },
      });
      return toUserDto(user);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a user with email ${input.email} already exists`);
    throw e;
  }
}

/** Checks a sign-in; the same answer (null) for unknown email, wrong password and disabled accounts. */
export async function authenticatePassword(email: string, password: string): Promise<Actor | null> {
  const user = await db().user.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!user || user.disabled) return null;
  if (user.passwordHash === null || !(await verifyPassword(user.passwordHash, password))) return null;
  return { type: 'user', id: user.id, label: user.email, role: user.role, userId: user.id };
}

/** Re-reads a signed-in user so a role change or disabled account takes effect without waiting for the JWT to expire. */
export async function actorForUser(userId: string): Promise<Actor | null> {
  const user = await db().user.findUnique({ where: { id: userId } });
  if (!user || user.disabled) return null;
  return { type: 'user', id: user.id, label: user.email, role: user.role, userId: user.id };
}

/**
 * A successful sign-in: `lastSignInAt` and a `user.sign-in` event, the user as its actor. `details` says how
 * (`password`, `oidc`) and, for OIDC, what the claim made of the role.
 */
export async function recordSignIn(actor: Actor, details: { method: 'password' | 'oidc' } & Record<string, unknown>): Promise<void> {
  await withTransaction({ actor }, async (tx) => {
    await tx.user.update({ where: { id: actor.id! }, data: { lastSignInAt: new Date() } });
    await recordAudit(tx, actor, { action: 'user.sign-in', targetType: 'user', targetId: actor.id, details });
  });
}
