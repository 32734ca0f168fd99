import { z } from 'zod';
import { recordAudit } from '@/server/audit/record-audit';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import type { Prisma, Tx } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { noControlChars } from '@/server/shared/text';
import { authorize, ROLES, type Actor } from './permissions';

// Arbitrary constant naming the advisory lock that serialises changes to who is an enabled admin: two admins
// demoting each other at once must not both see "another admin is left".
const ADMIN_SET_LOCK = 7_301_101;

type UserRow = Prisma.UserGetPayload<{ select: typeof USER_SELECT }>;
const USER_SELECT = {
  id: true,
  email: true,
  name: true,
  role: true,
  disabled: true,
  passwordHash: true,
  oidcIssuer: true,
  lastSignInAt: true,
  createdAt: true,
} as const;

/** What the API shows of a user: how they sign in, never the hash. */
export function toUserDto(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    /** `password`, `oidc` or both: an OIDC-only user has no password to re-enter (see exportRecoveryKit). */
    signIn: [...(u.passwordHash !== null ? ['password' as const] : []), ...(u.oidcIssuer !== null ? ['oidc' as const] : [])],
    lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
  };
}
export type UserDto = ReturnType<typeof toUserDto>;

export async function listUsers(ctx: VerbContext): Promise<UserDto[]> {
  authorize(ctx.actor, 'user:manage');
  const rows = await readerOf(ctx).user.findMany({ orderBy: [{ disabled: 'asc' }, { email: 'asc' }], select: USER_SELECT });
  return rows.map(toUserDto);
}

export const UpdateUserInput = z
  .strictObject({
    name: z.string().trim().min(1, 'name is required').max(100).refine(...noControlChars).optional(),
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
  })
  .refine((v) => v.name !== undefined || v.role !== undefined || v.disabled !== undefined, 'give at least one of name, role, disabled');
export type UpdateUserInput = z.infer<typeof UpdateUserInput>;

const UserId = z.string().uuid();

/**
 * `PATCH /users/{id}`: rename, change the role, disable or enable. Takes effect on the user's next request: the
 * route wrapper re-reads the user for every session request and `authenticateApiToken` refuses the tokens of a
 * disabled owner (the tokens are not revoked: enabling the user again brings them back). A change that would leave
 * no enabled admin (the last one demoting or disabling themselves) is refused with CONFLICT, so the console never
 * locks everyone out of user management.
 */
export async function updateUser(ctx: VerbContext, rawId: unknown, raw: unknown): Promise<UserDto> {
  const { actor } = ctx;
  authorize(actor, 'user:manage');
  const id = UserId.safeParse(rawId);
  if (!id.success) throw notFound('user', String(rawId));
  const input = UpdateUserInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_SET_LOCK})`;
    const before = await tx.user.findUnique({ where: { id: id.data }, select: USER_SELECT });
    if (!before) throw notFound('user', id.data);
    // Checked before the write, so a refusal leaves a caller's transaction as it was.
    const losesAdmin = before.role === 'ADMIN' && !before.disabled && ((input.role ?? 'ADMIN') !== 'ADMIN' || input.disabled === true);
    if (losesAdmin) await assertAnotherAdminIsLeft(tx, actor, before);
    const after = await tx.user.update({ where: { id: before.id }, data: input, select: USER_SELECT });
    const changes = changesOf(before, after);
    if (Object.keys(changes).length > 0) {
      await recordAudit(tx, actor, { action: 'user.update', targetType: 'user', targetId: after.id, details: { email: after.email, ...changes } });
    }
    return toUserDto(after);
  });
}

async function assertAnotherAdminIsLeft(tx: Tx, actor: Actor, target: UserRow): Promise<void> {
  const left = await tx.user.count({ where: { role: 'ADMIN', disabled: false, id: { not: target.id } } });
  if (left > 0) return;
  const who = actor.userId === target.id ? 'you are' : `${target.email} is`;
  throw new DomainError('CONFLICT', `${who} the last enabled admin: make another user admin first`);
}

function changesOf(before: UserRow, after: UserRow): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of ['name', 'role', 'disabled'] as const) {
    if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}
