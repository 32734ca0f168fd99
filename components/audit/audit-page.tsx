'use client';

import { useEffect, useState } from 'react';
import { useViewer } from '@/components/layout/viewer';
import { Alert } from '@/components/ui/alert';
import { PageHeader } from '@/components/ui/page-header';
import css from './audit.module.css';
import { AuditTable } from './audit-table';
import { cursorAt, EMPTY_FILTER, exportHref, isFiltered, type AuditFilterDraft } from './filters';
import { AUDIT_PAGE_SIZE, useAuditEvents } from './queries';
import { VerifyPanel } from './verify-panel';

// Typing in a filter asks the API once the typing pauses, not once a keystroke.
const FILTER_DELAY_MS = 300;

/**
 * The Audit page: who did what to what and when, filtered (actor, action, target, time), newest first with a
 * cursor, each event's details; the filtered set exported as CSV or JSON; the chain verified on demand.
 * `actions` is the declared list (server/audit/actions.ts), handed in by the page.
 */
type InitialFilter = Partial<Pick<AuditFilterDraft, 'actor' | 'action' | 'targetType' | 'targetId'>>;

export function AuditPage({ actions, initialEventId, initialFilter }: { actions: readonly string[]; initialEventId?: string; initialFilter?: InitialFilter }) {
  const viewer = useViewer();
  if (!viewer.can.readAudit) {
    return (
      <>
        <PageHeader title="Audit trail" />
        <Alert tone="warning">Only approvers and admins read the audit trail.</Alert>
      </>
    );
  }
  return <AuditTrail actions={actions} initialEventId={initialEventId} initialFilter={initialFilter} />;
}

function AuditTrail({ actions, initialEventId, initialFilter }: { actions: readonly string[]; initialEventId?: string; initialFilter?: InitialFilter }) {
  const start: AuditFilterDraft = { ...EMPTY_FILTER, ...initialFilter, action: initialFilter?.action && actions.includes(initialFilter.action) ? initialFilter.action : '' };
  const [draft, setDraft] = useState<AuditFilterDraft>(start);
  const [applied, setApplied] = useState<AuditFilterDraft>(start);
  // The `before` cursor of each page shown so far, newest page first ([] = the newest page).
  const [cursors, setCursors] = useState<string[]>(initialEventId ? [cursorAt(initialEventId)] : []);
  const [openId, setOpenId] = useState<string | null>(initialEventId ?? null);

  useEffect(() => {
    if (sameFilter(draft, applied)) return;
    const t = setTimeout(() => {
      setApplied(draft);
      setCursors([]);
    }, FILTER_DELAY_MS);
    return () => clearTimeout(t);
  }, [draft, applied]);

  const before = cursors[cursors.length - 1] ?? null;
  const list = useAuditEvents(applied, before);
  const events = list.data?.events;
  const filtered = isFiltered(applied);

  /** Shows event `id` at the top of the list, details open, whatever the filters were (the verify panel's link). */
  const showEvent = (id: string) => {
    setDraft(EMPTY_FILTER);
    setApplied(EMPTY_FILTER);
    setCursors([cursorAt(id)]);
    setOpenId(id);
    document.getElementById('audit-events-heading')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };

  const set = (key: keyof AuditFilterDraft) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  const groups = groupActions(actions);

  return (
    <>
      <PageHeader title="Audit trail" subtitle="Every change and run outcome, who made it and from where; hash-chained, append-only." />
      <VerifyPanel onShowEvent={showEvent} />

      <section className="card" aria-labelledby="audit-filters-heading">
        <h2 id="audit-filters-heading">Filters</h2>
        <form className={css.filters} role="search" aria-label="Filter audit events" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="audit-actor">Actor</label>
            <input id="audit-actor" value={draft.actor} onChange={set('actor')} maxLength={200} placeholder="e-mail, token or user id" autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="audit-action">Action</label>
            <select id="audit-action" value={draft.action} onChange={set('action')}>
              <option value="">Any action</option>
              {groups.map(([entity, names]) => (
                <optgroup key={entity} label={entity}>
                  {names.map((a) => (
                    <option key={a} value={a}>
                      {a}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-target-type">Target type</label>
            <input id="audit-target-type" value={draft.targetType} onChange={set('targetType')} maxLength={200} placeholder="source, run, …" autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="audit-target-id">Target id</label>
            <input id="audit-target-id" value={draft.targetId} onChange={set('targetId')} maxLength={200} placeholder="exact id" autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="audit-from">From</label>
            <input id="audit-from" type="datetime-local" value={draft.from} onChange={set('from')} max={draft.to || undefined} />
          </div>
          <div className="field">
            <label htmlFor="audit-to">To</label>
            <input id="audit-to" type="datetime-local" value={draft.to} onChange={set('to')} min={draft.from || undefined} />
          </div>
        </form>
        <div className={css.filterActions}>
          <button type="button" className="btn btn-sm" disabled={!isFiltered(draft)} onClick={() => setDraft(EMPTY_FILTER)}>
            Clear filters
          </button>
          <span className={css.spacer} />
          <span className="muted small">{filtered ? 'Export the filtered events:' : 'Export every event:'}</span>
          <a className="btn btn-sm" href={exportHref(applied, 'csv')} download data-testid="audit-export-csv">
            Export CSV
          </a>
          <a className="btn btn-sm" href={exportHref(applied, 'json')} download data-testid="audit-export-json">
            Export JSON
          </a>
        </div>
      </section>

      <section className="card" aria-labelledby="audit-events-heading">
        <div className="section-head">
          <h2 id="audit-events-heading">Events</h2>
          <span className="muted small">newest first{list.isFetching && !list.isPending ? ' · updating…' : ''}</span>
        </div>
        <AuditTable
          events={events}
          loading={list.isPending}
          error={list.error}
          filtered={filtered || cursors.length > 0}
          openId={openId}
          onToggle={(id) => setOpenId((o) => (o === id ? null : id))}
        />
        <div className={css.pager}>
          <span className={`${css.count} muted small`}>
            {events && events.length > 0 ? `Page ${cursors.length + 1} · ${events.length} events` : ''}
          </span>
          <button type="button" className="btn btn-sm" disabled={cursors.length === 0} onClick={() => setCursors([])}>
            Newest
          </button>
          <button type="button" className="btn btn-sm" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            ← Newer
          </button>
          <button
            type="button"
            className="btn btn-sm"
            disabled={!list.data?.hasOlder || list.isPlaceholderData}
            onClick={() => events && events.length > 0 && setCursors((c) => [...c, events[events.length - 1]!.id])}
          >
            Older →
          </button>
        </div>
        {events && events.length === AUDIT_PAGE_SIZE && !list.data?.hasOlder && <p className="muted small">That is the oldest event.</p>}
      </section>
    </>
  );
}

const sameFilter = (a: AuditFilterDraft, b: AuditFilterDraft) => (Object.keys(a) as (keyof AuditFilterDraft)[]).every((k) => a[k] === b[k]);

/** `source.create`, `source.update` … → [['source', [...]], …], in the declared order. */
function groupActions(actions: readonly string[]): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const a of actions) {
    const entity = a.split('.')[0] ?? a;
    groups.set(entity, [...(groups.get(entity) ?? []), a]);
  }
  return [...groups];
}
