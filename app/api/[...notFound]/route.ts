import { routeNotFound } from '@/server/http/fallbacks';

// Any /api path no other route file matches: a JSON 404 for every method, not Next's HTML page.
export const GET = routeNotFound;
export const POST = routeNotFound;
export const PUT = routeNotFound;
export const PATCH = routeNotFound;
export const DELETE = routeNotFound;
