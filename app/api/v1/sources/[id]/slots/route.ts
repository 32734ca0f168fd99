import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/fallbacks';
import { assertOneBound, encodeCursor, pageRequest, withoutPaging } from '@/server/http/pagination';
import { listSlots } from '@/server/slo';

// The verb pages itself (`before`, `nextBefore`, slots of one instant never split); `cursor`/`nextCursor` carry the
// same bound, so this list pages like the others. `before`/`nextBefore` stay as they were.
export const GET = route<{ id: string }>(async ({ verb, params, query }) => {
  const page = pageRequest(query);
  assertOneBound(page, query);
  const result = await listSlots(verb, params.id, {
    ...withoutPaging(query),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(page.after === null ? {} : { before: String(page.after[0]) }),
  });
  return { ...result, nextCursor: result.nextBefore === null ? null : encodeCursor([result.nextBefore]) };
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
