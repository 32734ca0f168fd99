import { route } from '@/server/http/route';
import { anchorAuditHead, listAuditAnchors } from '@/server/audit';
import { otherMethods } from '@/server/http/fallbacks';
import { pageOf, pageRequest } from '@/server/http/pagination';

// The verb reads the newest N anchor writes; later pages are cut from the newest ANCHOR_WINDOW (one anchoring a day
// on a few destinations: years of them).
const ANCHOR_WINDOW = 2_000;

/** The most recent anchor writes, newest first: 50 a page (as before), `nextCursor` for older ones. */
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  const window = await listAuditAnchors(verb, page.after === null ? page.limit + 1 : ANCHOR_WINDOW);
  return pageOf(window, { ...page, explicit: true }, { key: (a) => [a.at.toISOString(), a.id], order: ['desc', 'desc'] });
});

/** Anchors the chain head on every destination now (admin); 409 when the chain does not verify. */
export const POST = route(async ({ verb }) => anchorAuditHead(verb), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
