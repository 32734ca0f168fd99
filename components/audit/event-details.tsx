'use client';

import { formatDateTime } from '@/components/ui/format';
import css from './audit.module.css';
import type { AuditEvent } from './types';

const ACTOR_TYPE: Record<string, string> = { user: 'user', token: 'API token', system: 'Lifeboat itself' };

/** Everything recorded of one event: who (and from where), what, the outcome, its parameters and its place in the chain. */
export function EventDetails({ event }: { event: AuditEvent }) {
  const dash = <span className="muted">—</span>;
  return (
    <div className={css.details} data-testid="audit-event-details" data-event-id={event.id}>
      <dl className={css.facts}>
        <dt>Event</dt>
        <dd className="mono">#{event.id}</dd>
        <dt>Time</dt>
        <dd>
          {formatDateTime(event.at)} <span className="muted mono">{event.at}</span>
        </dd>
        <dt>Actor</dt>
        <dd>
          {event.actorLabel} <span className="muted">({ACTOR_TYPE[event.actorType] ?? event.actorType})</span>
        </dd>
        {event.actorId && (
          <>
            <dt>{event.actorType === 'token' ? 'Token id' : 'Actor id'}</dt>
            <dd className="mono">{event.actorId}</dd>
          </>
        )}
        {event.actorUserId && event.actorUserId !== event.actorId && (
          <>
            <dt>On behalf of user</dt>
            <dd className="mono">{event.actorUserId}</dd>
          </>
        )}
        <dt>Action</dt>
        <dd className="mono">{event.action}</dd>
        <dt>Target</dt>
        <dd>
          {event.targetType} {event.targetId ? <span className="mono">{event.targetId}</span> : null}
        </dd>
        <dt>Result</dt>
        <dd>{event.result}</dd>
        <dt>Request id</dt>
        <dd className="mono" data-testid="audit-request-id">
          {event.requestId ?? dash}
        </dd>
        <dt>IP address</dt>
        <dd className="mono">{event.ip ?? dash}</dd>
        <dt>User agent</dt>
        <dd>{event.userAgent ?? dash}</dd>
        <dt>Hash</dt>
        <dd className="mono" data-testid="audit-hash">
          {event.hash} <span className="muted">({event.alg})</span>
        </dd>
        <dt>Previous hash</dt>
        <dd className="mono">{event.prevHash}</dd>
      </dl>
      <div>
        <p className="subheading">Details</p>
        <pre className={css.json} data-testid="audit-details-json">
          {JSON.stringify(event.details ?? {}, null, 2)}
        </pre>
      </div>
    </div>
  );
}
