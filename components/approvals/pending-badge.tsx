'use client';

import { usePendingCount } from './queries';
import css from './approvals.module.css';

/** The navigation's count of restore requests waiting for approval (approvers and admins); nothing when none wait. */
export function PendingApprovalsBadge() {
  const count = usePendingCount(true);
  if (!count) return null;
  return (
    <span className={css.navBadge} data-testid="approvals-badge" aria-label={`${count} waiting for approval`}>
      {count}
    </span>
  );
}
