import { ErrorAlert } from './alert';

/** Loading and error rows for a table body driven by a query. */
export function TableStatus({ colSpan, loading, error, empty }: { colSpan: number; loading: boolean; error: unknown; empty: string | false }) {
  if (loading) {
    return (
      <tr>
        <td colSpan={colSpan} className="muted center">
          Loading…
        </td>
      </tr>
    );
  }
  if (error) {
    return (
      <tr>
        <td colSpan={colSpan}>
          <ErrorAlert title="Could not load this list" error={error} />
        </td>
      </tr>
    );
  }
  if (empty) {
    return (
      <tr>
        <td colSpan={colSpan} className="muted center">
          {empty}
        </td>
      </tr>
    );
  }
  return null;
}
