/**
 * The footer of a dialog form: Cancel on the left of the submit button, which shows `pendingLabel` and is disabled
 * while the request runs (and whenever `disabled`).
 */
export function FormActions({
  onCancel,
  cancelLabel = 'Cancel',
  submitLabel,
  pendingLabel,
  pending,
  disabled = false,
  danger = false,
}: {
  onCancel: () => void;
  cancelLabel?: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  disabled?: boolean;
  /** The submit deletes or removes something. */
  danger?: boolean;
}) {
  return (
    <div className="form-actions">
      <span className="spacer" />
      <button type="button" className="btn btn-ghost" onClick={onCancel}>
        {cancelLabel}
      </button>
      <button type="submit" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled={pending || disabled}>
        {pending ? pendingLabel : submitLabel}
      </button>
    </div>
  );
}
