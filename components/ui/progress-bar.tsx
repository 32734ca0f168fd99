/**
 * `value`/`max` as a bar. With no max (size unknown) it shows an indeterminate stripe while `active`.
 * Backup totals are estimates, so the bar never claims 100% until the run says it is done (`complete`).
 */
export function ProgressBar({
  value,
  max,
  active,
  complete,
  label,
}: {
  value: number;
  max: number | null;
  active: boolean;
  complete: boolean;
  label: string;
}) {
  const known = max !== null && max > 0;
  const pct = complete ? 100 : known ? Math.min(99, Math.floor((value / max) * 100)) : undefined;
  return (
    <div
      className={`progress${!known && active && !complete ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      data-testid="run-progress"
      data-state={complete ? 'complete' : active ? 'active' : 'stopped'}
    >
      <div className="progress-fill" style={{ width: pct === undefined ? undefined : `${pct}%` }} />
    </div>
  );
}
