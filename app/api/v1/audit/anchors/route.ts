import { route } from '@/server/http/route';
import { anchorAuditHead, listAuditAnchors } from '@/server/audit';
import { otherMethods } from '@/server/http/fallbacks';

/** The most recent anchor writes, newest first. */
export const GET = route(async ({ verb }) => ({ items: await listAuditAnchors(verb) }));

/** Anchors the chain head on every destination now (admin); 409 when the chain does not verify. */
export const POST = route(async ({ verb }) => anchorAuditHead(verb), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
