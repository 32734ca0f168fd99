import { ApiError } from '@/components/api/client';

/**
 * A refused save's field problems, by the first segment of each issue's path (`rpoSeconds`, `tierId` …), for the
 * fields a form shows; the rest are returned as `other` to show above the buttons.
 */
export function fieldIssues(error: unknown, fields: readonly string[]): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  if (!(error instanceof ApiError)) return { byField, other };
  for (const issue of error.issues) {
    const head = issue.path[0];
    if (head !== undefined && fields.includes(head) && !byField[head]) byField[head] = issue.message;
    else other.push(issue.message);
  }
  return { byField, other };
}
