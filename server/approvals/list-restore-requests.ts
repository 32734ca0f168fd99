import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { loadRequestDto, REQUEST_INCLUDE, toRestoreRequestDto, usersOf } from './dto';
import { ListRestoreRequestsInput, RestoreRequestId } from './inputs';

// Without `limit`: a screenful of the inbox.
const DEFAULT_LIMIT = 100;

/**
 * `GET /api/v1/restore-requests?status=&mine=&breakGlass=&limit=`: newest first. `mine=true`: those the caller
 * requested (the person behind a token included). `breakGlass=unacknowledged`: the break-glass restores no approver
 * has acknowledged yet (the dashboard's banner), however old. Everyone who may see runs may see the requests that
 * make them.
 */
export async function listRestoreRequests(ctx: VerbContext, rawQuery: unknown) {
  const { actor } = ctx;
  authorize(actor, 'run:read');
  const q = ListRestoreRequestsInput.parse(rawQuery ?? {});
  // `mine` for an actor without a person (the system) is nobody's.
  if (q.mine && !actor.userId) return [];
  const reader = readerOf(ctx);
  const rows = await reader.restoreRequest.findMany({
    where: {
      ...(q.status ? { status: q.status } : {}),
      ...(q.mine ? { requesterId: actor.userId! } : {}),
      ...(q.breakGlass === undefined ? {} : q.breakGlass === 'unacknowledged' ? { breakGlass: true, breakGlassAckAt: null } : { breakGlass: q.breakGlass === 'true' }),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: q.limit ?? DEFAULT_LIMIT,
    include: REQUEST_INCLUDE,
  });
  const users = await usersOf(reader, rows);
  const now = new Date();
  return rows.map((r) => toRestoreRequestDto(r, users, now));
}

/** `GET /api/v1/restore-requests/{id}`. */
export async function getRestoreRequest(ctx: VerbContext, rawId: unknown) {
  authorize(ctx.actor, 'run:read');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  return loadRequestDto(readerOf(ctx), id.data);
}
