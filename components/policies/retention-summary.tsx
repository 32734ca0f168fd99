import type { Retention } from '@/components/api/types';
import { describeRetention } from '@/components/sources/retention-words';

/**
 * A retention in words (components/sources/retention-words.ts), for the policies page and the editor's preview.
 * `scope` changes what "no keep rule" means in practice: a policy then deletes nothing; a copy destination with its
 * own, rule-less retention keeps its copies even after the point's primary object was pruned.
 */
export function RetentionSummary({ retention, scope, testId }: { retention: Retention | null; scope: 'policy' | 'copy'; testId?: string }) {
  const words = describeRetention(retention);
  return (
    <div className="retention-rules" data-testid={testId}>
      {words.keeps.length === 0 ? (
        <p>
          <strong>Keeps everything</strong>
          {scope === 'policy'
            ? retention === null
              ? ': no retention is set, so retention deletes no recovery point.'
              : ': no keep rule is set, so retention deletes no recovery point.'
            : ': no keep rule is set, so these copies are kept for ever, even after the primary object is pruned.'}
        </p>
      ) : (
        <>
          <p>Keeps a point if any of these rules keeps it:</p>
          <ul>
            {words.keeps.map((k) => (
              <li key={k}>{k}</li>
            ))}
          </ul>
        </>
      )}
      {words.minimum && <p>{words.minimum}</p>}
      {words.tiers.length > 0 && <p>Moves kept points {words.tiers.join(', then ')} (S3 destinations only).</p>}
      {words.timezone && <p className="muted small">Hours, days, weeks, months and years are read in {words.timezone} time.</p>}
    </div>
  );
}

/** What a copy destination without retention of its own does. */
export const FOLLOWS_POINT = 'Follows its point: a copy goes when its point goes, and moves with the policy’s storage tiers.';
