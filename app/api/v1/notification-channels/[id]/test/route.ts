import { route } from '@/server/http/route';
import { testChannel } from '@/server/notifications';
import { otherMethods } from '@/server/http/fallbacks';

// Sends now and answers the outcome (200 either way: a refused address or a receiver's 500 is the test's result).
export const POST = route<{ id: string }>(async ({ verb, params }) => testChannel(verb, params.id));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
