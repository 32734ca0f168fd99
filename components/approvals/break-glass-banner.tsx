'use client';

import Link from 'next/link';
import { useViewer } from '@/components/layout/viewer';
import { ErrorMessage } from '@/components/ui/alert';
import { formatDateTime } from '@/components/ui/format';
import { useRequestAction, useUnacknowledgedBreakGlass } from './queries';
import type { RestoreRequest } from './types';
import css from './approvals.module.css';

/** Site-wide, above every console page: each break-glass restore nobody has acknowledged yet. */
export function BreakGlassBanner() {
  const requests = useUnacknowledgedBreakGlass();
  const items = requests.data ?? [];
  if (items.length === 0) return null;
  return (
    <div className={css.banner} role="alert" data-testid="break-glass-banner">
      <div className={css.bannerInner}>
        {items.map((r) => (
          <BannerItem key={r.id} r={r} />
        ))}
      </div>
    </div>
  );
}

function BannerItem({ r }: { r: RestoreRequest }) {
  const viewer = useViewer();
  const acknowledge = useRequestAction(r.id);
  return (
    <div className={css.bannerItem} data-testid="break-glass-item">
      <strong>Break glass:</strong>
      <span>
        {r.breakGlassBy?.email ?? 'An admin'} restored {r.sourceName} without approvals ({formatDateTime(r.updatedAt)}): “{r.breakGlassReason}”.
      </span>
      <Link href={`/approvals/${r.id}`}>View request</Link>
      {viewer.can.governPoints && (
        <button type="button" className="btn btn-sm" disabled={acknowledge.isPending} onClick={() => acknowledge.mutate({ kind: 'acknowledge' })}>
          {acknowledge.isPending ? 'Acknowledging…' : 'Acknowledge'}
        </button>
      )}
      {acknowledge.error && (
        <span data-testid="acknowledge-error">
          <ErrorMessage error={acknowledge.error} />
        </span>
      )}
    </div>
  );
}
