import { z } from 'zod';
import { route } from '@/server/http/route';
import { assertOneBound, encodeCursor, invalidCursor, pageRequest, withoutPaging } from '@/server/http/pagination';
import { listDeliveries } from '@/server/notifications';
import { otherMethods } from '@/server/http/fallbacks';

// The cursor holds the last delivery's [createdAt, id] (so deliveries of one millisecond never split or repeat);
// `before`/`nextBefore` stay as they were.
const AfterKey = z.tuple([z.iso.datetime(), z.string().uuid()]);

export const GET = route<{ id: string }>(async ({ verb, params, query }) => {
  const page = pageRequest(query);
  assertOneBound(page, query);
  let after = null;
  if (page.after !== null) {
    const key = AfterKey.safeParse(page.after);
    if (!key.success) throw invalidCursor();
    after = { createdAt: key.data[0], id: key.data[1] };
  }
  const { nextAfter, ...result } = await listDeliveries(
    verb,
    params.id,
    { ...withoutPaging(query), ...(query.limit === undefined ? {} : { limit: query.limit }) },
    after,
  );
  return { ...result, nextCursor: nextAfter === null ? null : encodeCursor([nextAfter.createdAt, nextAfter.id]) };
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
