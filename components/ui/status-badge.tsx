const TONE: Record<string, string> = {
  QUEUED: 'neutral',
  RUNNING: 'info',
  SUCCEEDED: 'success',
  FAILED: 'danger',
  CANCELLED: 'warning',
};

/** A run status as a coloured pill; the text is the status itself so specs and screen readers read it as is. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge badge-${TONE[status] ?? 'neutral'}`} data-testid={testId} data-status={status}>
      {status === 'RUNNING' && <span className="badge-dot" aria-hidden="true" />}
      {status}
    </span>
  );
}
