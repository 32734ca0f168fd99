'use client';

import Link from 'next/link';
import { Fragment } from 'react';
import { formatDateTime } from '@/components/ui/format';
import { TableStatus } from '@/components/ui/query-state';
import css from './audit.module.css';
import { EventDetails } from './event-details';
import type { AuditEvent } from './types';

const RESULT_TONE: Record<string, string> = { ok: 'badge-success', failed: 'badge-danger', refused: 'badge-warning' };

// The console pages a target type has, for a link from the event to what it changed.
const TARGET_PAGE: Record<string, string> = { source: '/sources', run: '/runs', restore_request: '/approvals' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = 6;

export function AuditTable({
  events,
  loading,
  error,
  filtered,
  openId,
  onToggle,
}: {
  events: AuditEvent[] | undefined;
  loading: boolean;
  error: unknown;
  filtered: boolean;
  openId: string | null;
  onToggle: (id: string) => void;
}) {
  const rows = events ?? [];
  return (
    <div className={css.scroll}>
      <table className="table" aria-label="Audit events">
        <thead>
          <tr>
            <th>Time</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>Result</th>
            <th className="actions-col">
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <TableStatus
            colSpan={COLUMNS}
            loading={loading}
            error={error}
            empty={rows.length === 0 && (filtered ? 'No events match these filters.' : 'No audit events yet.')}
          />
          {rows.map((e) => {
            const open = openId === e.id;
            return (
              <Fragment key={e.id}>
                <tr data-testid="audit-row" data-event-id={e.id} data-action={e.action} className={open ? css.selected : undefined}>
                  <td className={css.time}>{formatDateTime(e.at)}</td>
                  <td className={css.actor}>
                    {e.actorLabel}
                    {e.actorType !== 'user' && <span className="badge badge-neutral badge-inline">{e.actorType}</span>}
                  </td>
                  <td className="mono">{e.action}</td>
                  <td className={css.target}>
                    <Target event={e} />
                  </td>
                  <td>
                    <span className={`badge ${RESULT_TONE[e.result] ?? 'badge-neutral'}`}>{e.result}</span>
                  </td>
                  <td className="actions-col">
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      aria-expanded={open}
                      aria-controls={`audit-event-${e.id}`}
                      aria-label={`${open ? 'Hide' : 'Show'} details of event ${e.id}`}
                      onClick={() => onToggle(e.id)}
                    >
                      {open ? 'Hide' : 'Details'}
                    </button>
                  </td>
                </tr>
                {open && (
                  <tr className={css.detailsRow} id={`audit-event-${e.id}`}>
                    <td colSpan={COLUMNS}>
                      <EventDetails event={e} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** "source 3f2a…" with a link when the console has a page for it. */
function Target({ event }: { event: AuditEvent }) {
  const id = event.targetId;
  const page = TARGET_PAGE[event.targetType];
  const short = id && id.length > 12 ? `${id.slice(0, 8)}…` : id;
  return (
    <>
      {event.targetType}{' '}
      {id &&
        (page && UUID.test(id) ? (
          <Link href={`${page}/${id}`} className="mono" title={id}>
            {short}
          </Link>
        ) : (
          <span className="mono" title={id}>
            {short}
          </span>
        ))}
    </>
  );
}
