import crypto from 'node:crypto';
import { z } from 'zod';
import { recordAudit } from '@/server/audit/record-audit';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { db, type Prisma } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { authorize, ROLES, type Actor } from './permissions';

const TOKEN_PREFIX = 'lbt_';
// 32 random bytes: 256 bits, beyond any guessing; stored only as a sha256 because it is already high-entropy.
const TOKEN_BYTES = 32;

export const CreateApiTokenInput = z.object({
  name: z.string().trim().min(1, 'name is required').max(100),
  role: z.enum(ROLES),
  // Optional lifetime in days; a year at most so forgotten tokens die on their own.
  expiresInDays: z.number().int().min(1).max(365).optional(),
});
export type CreateApiTokenInput = z.infer<typeof CreateApiTokenInput>;

const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

/** Creates an API token; the returned `token` is shown once and never stored. */
export async function createApiToken(ctx: VerbContext, ownerId: string, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'token:manage');
  const input = CreateApiTokenInput.parse(raw);
  const token = TOKEN_PREFIX + crypto.randomBytes(TOKEN_BYTES).toString('base64url');
  const created = await withTransaction(ctx, async (tx) => {
    const owner = await tx.user.findUnique({ where: { id: ownerId }, select: { id: true } });
    if (!owner) throw new DomainError('NOT_FOUND', `user ${ownerId} not found`);
    const row = await tx.apiToken.create({
      data: {
        name: input.name,
        role: input.role,
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        tokenHash: hashToken(token),
        ownerId,
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      },
    });
    await recordAudit(tx, actor, {
      action: 'token.create',
      targetType: 'api_token',
      targetId: row.id,
      details: { name: row.name, role: row.role, prefix: row.prefix, expiresAt: row.expiresAt?.toISOString() ?? null },
    });
    return row;
  });
  return { id: created.id, name: created.name, role: created.role, prefix: created.prefix, token, expiresAt: created.expiresAt };
}

type TokenRow = Prisma.ApiTokenGetPayload<{ include: { owner: { select: { email: true } } } }>;

/** What the API shows of a token: never its hash. */
function toTokenDto(t: TokenRow) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: t.prefix,
    owner: t.owner.email,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export async function listApiTokens(ctx: VerbContext) {
  authorize(ctx.actor, 'token:manage');
  const rows = await readerOf(ctx).apiToken.findMany({ orderBy: { createdAt: 'desc' }, include: { owner: { select: { email: true } } } });
  return rows.map(toTokenDto);
}

/** Resolves a bearer token to an actor; null for unknown, revoked or expired tokens and disabled owners. */
export async function authenticateApiToken(token: string): Promise<Actor | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await db().apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { owner: { select: { disabled: true, email: true } } },
  });
  if (!row || row.revokedAt || row.owner.disabled) return null;
  if (row.expiresAt && row.expiresAt < new Date()) return null;
  // Best effort: last-use tracking must never fail a request.
  void db()
    .apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } })
    .catch(() => undefined);
  return { type: 'token', id: row.id, label: `token ${row.name} (${row.prefix}…, ${row.owner.email})`, role: row.role, userId: row.ownerId };
}

const TokenId = z.string().uuid();

/**
 * `DELETE /tokens/{id}`: the token is refused from its next request on (authenticateApiToken checks `revokedAt`).
 * Idempotent: revoking a revoked token answers the token as it is, with its first revocation time and no new audit
 * event, so a client that retries after a lost answer is not told it failed. The row stays for the audit trail.
 */
export async function revokeApiToken(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'token:manage');
  const id = TokenId.safeParse(rawId);
  if (!id.success) throw notFound('API token', String(rawId));
  const row = await withTransaction(ctx, async (tx) => {
    // Conditional: of two concurrent revocations one writes (and audits), the other finds it done.
    const { count } = await tx.apiToken.updateMany({ where: { id: id.data, revokedAt: null }, data: { revokedAt: new Date() } });
    const token = await tx.apiToken.findUnique({ where: { id: id.data }, include: { owner: { select: { email: true } } } });
    if (!token) throw notFound('API token', id.data);
    if (count === 1) {
      await recordAudit(tx, actor, {
        action: 'token.revoke',
        targetType: 'api_token',
        targetId: token.id,
        details: { name: token.name, prefix: token.prefix, owner: token.owner.email },
      });
    }
    return token;
  });
  return toTokenDto(row);
}
