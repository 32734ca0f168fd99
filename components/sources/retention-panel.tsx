import type { Retention, SourcePolicy } from '@/components/api/types';
import { describeRetention } from './retention-words';

/** The source's retention in words: the policy's rules, and each copy destination's own rules (or that it follows). */
export function RetentionPanel({ policy }: { policy: SourcePolicy | null }) {
  return (
    <section className="card" aria-labelledby="retention-heading" data-testid="retention">
      <h2 id="retention-heading">Retention</h2>
      {policy === null ? (
        <p data-testid="retention-primary">
          Keeps everything: this source has no policy, so no recovery point is deleted unless someone deletes it by hand.
        </p>
      ) : (
        <>
          <p className="muted">
            Policy <strong>{policy.name}</strong>; backups are stored on <strong>{policy.destinationName}</strong>.
          </p>
          <RetentionRules retention={policy.retention} testId="retention-primary" />
          {policy.copies.length > 0 && (
            <>
              <h3 className="subheading">Copies</h3>
              <ul className="retention-copies" aria-label="Copy destinations">
                {policy.copies.map((c) => (
                  <li key={c.destinationId} data-testid="retention-copy">
                    <strong>{c.destinationName}</strong>
                    {c.retention === null ? (
                      <div>Follows its point: a copy goes when its point goes, and moves with the policy&apos;s storage tiers.</div>
                    ) : (
                      <RetentionRules retention={c.retention} />
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      <p className="muted small">
        Never deleted, whatever the rules say: a point under legal hold, a point locked until a later date, and the newest verified
        point.
      </p>
    </section>
  );
}

/** One retention policy as a short list of sentences. */
function RetentionRules({ retention, testId }: { retention: Retention | null; testId?: string }) {
  const words = describeRetention(retention);
  return (
    <div className="retention-rules" data-testid={testId}>
      {words.keeps.length === 0 ? (
        <p>Keeps everything: no keep rule is set.</p>
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
