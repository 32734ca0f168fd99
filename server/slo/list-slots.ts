import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { IsoDateTimeInRange } from '@/server/shared/bounded-date';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';

// Its own (not inventory's SourceId): inventory's get-source imports the SLO figures, and this keeps the import one-way.
const SourceId = z.string().uuid();

const SLOT_STATES = ['STARTED', 'MISSED', 'SKIPPED'] as const;

// `?state=&before=` (a form's empty fields) means "no filter", not an invalid one.
const blankIsAbsent = (v: unknown) => (v === '' ? undefined : v);

export const ListSlotsInput = z.object({
  // Either case: `?state=missed` is what a person types.
  state: z.preprocess(
    blankIsAbsent,
    z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(SLOT_STATES, { error: `must be one of ${SLOT_STATES.join(', ')}` }))
      .optional(),
  ),
  // Slots older than this (exclusive): the previous page's `nextBefore`.
  before: z.preprocess(blankIsAbsent, IsoDateTimeInRange.optional()),
  // A day of a 10-minute schedule fits one page of 144; a minute schedule pages.
  limit: z.preprocess(blankIsAbsent, z.coerce.number().int().min(1).max(200).default(50)),
});
export type ListSlotsInput = z.infer<typeof ListSlotsInput>;

/**
 * `GET /api/v1/sources/{id}/slots`: the source's scheduled slots, newest first, with what happened to each (STARTED
 * with its run, MISSED or SKIPPED with the reason). Pages with `before`, an ISO time; `nextBefore` is null on the
 * last page.
 */
export async function listSlots(ctx: VerbContext, rawSourceId: unknown, raw: unknown) {
  authorize(ctx.actor, 'inventory:read');
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  const input = ListSlotsInput.parse(raw);
  const reader = readerOf(ctx);
  const source = await reader.source.findUnique({ where: { id: id.data }, select: { id: true } });
  if (!source) throw notFound('source', id.data);
  // One more than the page, to know whether another page follows and whether the page ends inside a group of
  // slots at the same instant (several schedules firing together).
  const rows = await reader.scheduledSlot.findMany({
    where: { sourceId: id.data, state: input.state, slotAt: input.before ? { lt: new Date(input.before) } : undefined },
    orderBy: [{ slotAt: 'desc' }, { scheduleId: 'asc' }, { id: 'asc' }],
    take: input.limit + 1,
    select: { id: true, scheduleId: true, kind: true, slotAt: true, state: true, reason: true, runId: true },
  });
  let page = rows.slice(0, input.limit);
  let nextBefore: string | null = null;
  if (rows.length > input.limit) {
    const last = page[page.length - 1]!.slotAt.getTime();
    const sameInstant = rows[input.limit]!.slotAt.getTime() === last;
    const kept = sameInstant ? page.filter((r) => r.slotAt.getTime() !== last) : page;
    if (kept.length > 0) {
      // The cursor is exclusive: a group cut by the page's end goes whole to the next page (before = its time + 1 ms,
      // the catalog's timestamp precision).
      page = kept;
      nextBefore = new Date(sameInstant ? last + 1 : last).toISOString();
    } else {
      // A page of one instant only (more schedules firing at once than `limit`): the rest of it is skipped.
      nextBefore = new Date(last).toISOString();
    }
  }
  return {
    items: page.map((r) => ({ ...r, slotAt: r.slotAt.toISOString() })),
    nextBefore,
  };
}
