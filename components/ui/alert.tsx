import { errorParts, type FieldLabels } from './error-text';

/** A readable message box; `role="alert"` for errors so assistive tech (and specs) notice it. */
export function Alert({
  tone = 'danger',
  title,
  children,
  testId,
}: {
  tone?: 'danger' | 'success' | 'info' | 'warning';
  title?: string;
  children: React.ReactNode;
  testId?: string;
}) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'danger' ? 'alert' : 'status'} data-testid={testId}>
      {title && <strong className="alert-title">{title}</strong>}
      <div>{children}</div>
    </div>
  );
}

/**
 * A failed request in words: the message as sentences (field paths as the form's `labels`, else words from the
 * field's name) and the API's code (`INVALID_STATE`) as a small tag after them, for a report or a search.
 */
export function ErrorMessage({ error, labels }: { error: unknown; labels?: FieldLabels }) {
  const { code, lines } = errorParts(error, labels);
  return (
    <span className="error-message">
      {lines.length === 1 ? (
        <span>{lines[0]}</span>
      ) : (
        <ul className="error-lines">
          {lines.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      )}
      {code && (
        <>
          {' '}
          <code className="error-code" title="Error code">
            {code}
          </code>
        </>
      )}
    </span>
  );
}

/** A failed request as an alert box: what failed (`title`), then the error in words with its code. */
export function ErrorAlert({ title, error, testId, labels }: { title: string; error: unknown; testId?: string; labels?: FieldLabels }) {
  return (
    <Alert title={title} testId={testId}>
      <ErrorMessage error={error} labels={labels} />
    </Alert>
  );
}
