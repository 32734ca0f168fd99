import type { SourcePolicy } from '@/components/api/types';
import { FOLLOWS_POINT, RetentionSummary } from '@/components/policies/retention-summary';

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
          <RetentionSummary retention={policy.retention} scope="policy" testId="retention-primary" />
          {policy.copies.length > 0 && (
            <>
              <h3 className="subheading">Copies</h3>
              <ul className="retention-copies" aria-label="Copy destinations">
                {policy.copies.map((c) => (
                  <li key={c.destinationId} data-testid="retention-copy">
                    <strong>{c.destinationName}</strong>
                    {c.retention === null ? (
                      <div>{FOLLOWS_POINT}</div>
                    ) : (
                      <RetentionSummary retention={c.retention} scope="copy" />
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
