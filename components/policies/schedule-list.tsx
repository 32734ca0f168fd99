import type { Policy } from '@/components/api/types';
import { formatSlot } from '@/lib/schedule-words';
import { kindLabel } from './schedule-draft';
import styles from './schedules.module.css';

/**
 * A policy's schedules in words with their next three times, read in each schedule's zone:
 * "Full backup: every Sunday at 03:00 UTC — next: Sun 6 Dec 03:00, Sun 13 Dec 03:00, Sun 20 Dec 03:00".
 */
export function ScheduleList({ policy }: { policy: Policy }) {
  if (policy.schedules.length === 0) {
    return (
      <p className="muted" data-testid="policy-schedules">
        No schedule: backups of its sources run only when someone starts one.
      </p>
    );
  }
  return (
    <ul className={styles.list} aria-label={`Schedules of ${policy.name}`} data-testid="policy-schedules">
      {policy.schedules.map((s) => (
        <li key={s.id} data-testid="policy-schedule">
          <strong>{kindLabel(s)}</strong>: <span data-testid="schedule-words">{s.description}</span>
          {policy.paused ? (
            <span className="muted"> — paused: nothing fires</span>
          ) : s.next.length > 0 ? (
            <span className="muted" data-testid="schedule-next">
              {' '}
              — next: {s.next.map((t) => formatSlot(new Date(t), s.timezone)).join(', ')}
            </span>
          ) : (
            <span className="muted"> — never fires</span>
          )}
        </li>
      ))}
    </ul>
  );
}
