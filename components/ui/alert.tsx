import { errorCode, errorText } from '@/components/api/client';

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

/** A failed request as the API answered it: its code (`INVALID_STATE`) and its message, verbatim. */
export function ErrorAlert({ title, error, testId }: { title: string; error: unknown; testId?: string }) {
  const code = errorCode(error);
  return (
    <Alert title={title} testId={testId}>
      {code && <code className="error-code">{code}</code>}
      {errorText(error)}
    </Alert>
  );
}
