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
