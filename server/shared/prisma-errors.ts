/** Prisma's unique-constraint violation (P2002), recognised by code rather than message text. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'P2002';
}
