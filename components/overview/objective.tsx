import Link from 'next/link';
import type { SloSource } from '@/components/api/types';
import { formatSeconds } from '@/components/ui/format';
import css from './overview.module.css';

/** The evidence behind a source's figures, one click away: its point, its restore run, its missed slots. */
export function Evidence({ s }: { s: SloSource }) {
  return (
    <div className={css.evidence}>
      {s.rpo.pointId && (
        <Link href={`/sources/${s.sourceId}#recovery-points`} title={`Recovery point ${s.rpo.pointId}`}>
          point {s.rpo.pointId.slice(0, 8)}
        </Link>
      )}
      {s.rto.runId && <Link href={`/runs/${s.rto.runId}`}>restore run</Link>}
      {s.missedSlots24h > 0 && (
        <Link href={`/sources/${s.sourceId}?slots=MISSED#slots`}>
          {s.missedSlots24h} missed slot{s.missedSlots24h === 1 ? '' : 's'}
        </Link>
      )}
    </div>
  );
}

/** "4 min / 5 min"; an estimate is marked "≈", a missing figure "—". */
export function Objective({ achieved, target, estimated = false }: { achieved: number | null; target: number | null; estimated?: boolean }) {
  const over = achieved !== null && target !== null && achieved > target;
  return (
    <span title={estimated ? 'Estimated from the artifact size and measured restore throughput: no restore yet' : undefined}>
      <span className={over ? 'danger-text' : undefined} style={over ? { marginLeft: 0 } : undefined}>
        {estimated && achieved !== null ? '≈ ' : ''}
        {formatSeconds(achieved)}
      </span>
      <span className="muted"> / {target === null ? 'no target' : formatSeconds(target)}</span>
    </span>
  );
}
