import type { SloStatus } from '@/components/api/types';

const TONE: Record<SloStatus, string> = {
  OK: 'success',
  AT_RISK: 'warning',
  BREACHED: 'danger',
  UNKNOWN: 'neutral',
  UNPROTECTED: 'danger',
};

const WORDS: Record<SloStatus, string> = {
  OK: 'OK',
  AT_RISK: 'AT RISK',
  BREACHED: 'BREACHED',
  UNKNOWN: 'UNKNOWN',
  UNPROTECTED: 'UNPROTECTED',
};

/** A source's SLO status as a pill; `data-status` carries the API's value for specs. */
export function SloBadge({ status, testId }: { status: SloStatus; testId?: string }) {
  return (
    <span className={`badge badge-${TONE[status] ?? 'neutral'}`} data-testid={testId} data-status={status}>
      {WORDS[status] ?? status}
    </span>
  );
}
