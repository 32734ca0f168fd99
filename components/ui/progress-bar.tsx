/**
 * A share (`percent`, from `progressView`, so the bar and the words beside it agree) as a bar. Without one (size
 * unknown, or past its estimate) it shows an indeterminate stripe while `active`.
 */
export function ProgressBar({ percent, active, complete, label }: { percent: number | undefined; active: boolean; complete: boolean; label: string }) {
  const indeterminate = percent === undefined && active && !complete;
  return (
    <div
      className={`progress${indeterminate ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      data-testid="run-progress"
      data-state={complete ? 'complete' : active ? 'active' : 'stopped'}
    >
      <div className="progress-fill" style={{ width: percent === undefined ? undefined : `${percent}%` }} />
    </div>
  );
}
