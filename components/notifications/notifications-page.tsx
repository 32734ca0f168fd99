'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api/client';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { formatDateTime } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { EVENT_CHOICES, notificationKeys, useChannels, useDeliveries, type Channel, type ChannelDto, type TestOutcome } from './api';
import { ChannelForm } from './channel-form';

const EVENT_LABEL = new Map(EVENT_CHOICES.map((c) => [c.event, c.label]));
const DELIVERY_TONE: Record<string, string> = { SENT: 'success', FAILED: 'danger', PENDING: 'info' };

/** Where a channel sends, in one line, without anything sealed: the URL's host, or the SMTP server and recipients. */
function targetOf(c: Channel): string {
  const config = (c.config ?? {}) as Record<string, unknown>;
  if (typeof config.urlHost === 'string') return config.urlHost;
  if (typeof config.host === 'string') {
    const to = Array.isArray(config.to) ? (config.to as string[]).join(', ') : '';
    return `${to} via ${config.host}:${String(config.port ?? 587)}`;
  }
  return '—';
}

function DeliveryBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${DELIVERY_TONE[status] ?? 'neutral'}`} data-status={status}>
      {status}
    </span>
  );
}

/** A channel's delivery log: newest first, each with its status, attempts and last error or answer. */
function DeliveryLog({ channel }: { channel: Channel }) {
  const log = useDeliveries(channel.id);
  const rows = log.data?.items ?? [];
  return (
    <section className="card" aria-label={`Delivery log of ${channel.name}`} data-testid="delivery-log">
      <div className="section-head">
        <h2>Delivery log: {channel.name}</h2>
        <span className="muted small">Newest first; retries show here as they happen.</span>
      </div>
      <div className="table-scroll">
        <table className="table" aria-label={`Deliveries of ${channel.name}`}>
          <thead>
            <tr>
              <th>When</th>
              <th>Event</th>
              <th>What</th>
              <th>Status</th>
              <th className="num">Attempts</th>
              <th>Last error or answer</th>
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={6} loading={log.isPending} error={log.error} empty={rows.length === 0 && 'Nothing sent through this channel yet.'} />
            {rows.map((d) => (
              <tr key={d.id} data-testid="delivery-row">
                <td>{formatDateTime(d.createdAt)}</td>
                <td>
                  <code>{d.event}</code>
                </td>
                <td className="break-anywhere">
                  {d.link ? (
                    <a href={d.link} target="_blank" rel="noreferrer">
                      {d.summary}
                    </a>
                  ) : (
                    d.summary
                  )}
                </td>
                <td>
                  <DeliveryBadge status={d.status} />
                </td>
                <td className="num">{d.attempts}</td>
                <td className="break-anywhere">
                  {d.lastError ? <span className="danger-text">{d.lastError}</span> : <span className="muted">{d.lastResponse ?? '—'}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Notification channels (Slack, signed webhooks, email) and what each receives; admins create them, send a test
 * and delete them (`notification:write`); operators and approvers read them and their delivery logs.
 */
export function NotificationsPage() {
  const viewer = useViewer();
  const queryClient = useQueryClient();
  const channels = useChannels();
  const canEdit = viewer.can.manageNotifications;
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<(ChannelDto & { signingSecret?: string }) | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Channel | null>(null);
  const [outcome, setOutcome] = useState<{ channel: string; result: TestOutcome } | null>(null);
  const [copied, setCopied] = useState(false);
  const rows = channels.data ?? [];
  const selected = rows.find((c) => c.id === shown) ?? null;

  const refresh = (id?: string) =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: notificationKeys.channels }),
      ...(id ? [queryClient.invalidateQueries({ queryKey: notificationKeys.deliveries(id) })] : []),
    ]);
  const test = useMutation({
    mutationFn: (c: Channel) => api<TestOutcome>(`/notification-channels/${encodeURIComponent(c.id)}/test`, { method: 'POST' }).then((result) => ({ channel: c, result })),
    onSuccess: async ({ channel, result }) => {
      setOutcome({ channel: channel.name, result });
      setShown(channel.id);
      await refresh(channel.id);
    },
  });
  const remove = useMutation({
    mutationFn: (c: Channel) => api<{ id: string }>(`/notification-channels/${encodeURIComponent(c.id)}`, { method: 'DELETE' }),
    onSuccess: async (r) => {
      setDeleting(null);
      if (shown === r.id) setShown(null);
      await refresh();
    },
  });

  return (
    <>
      <PageHeader
        title="Notifications"
        subtitle="Who hears of failed backups, missed slots, RPO breaches, restores and a broken audit trail, and what was sent to them."
        actions={
          canEdit && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => {
                setCreated(null);
                setCreating(true);
              }}
            >
              New channel
            </button>
          )
        }
      />
      {created && (
        <Alert tone="success" title={`Channel “${created.name}” created`} testId="channel-created">
          {created.signingSecret ? (
            <>
              <p>Its signing secret, shown only this once: the receiver checks X-Lifeboat-Signature with it.</p>
              <div className="token-box">
                <code className="mono" data-testid="signing-secret">
                  {created.signingSecret}
                </code>
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => {
                    void navigator.clipboard?.writeText(created.signingSecret ?? '').then(
                      () => setCopied(true),
                      () => setCopied(false),
                    );
                  }}
                >
                  {copied ? 'Copied' : 'Copy'}
                </button>
              </div>
            </>
          ) : (
            <p>Send a test to check that it arrives.</p>
          )}
        </Alert>
      )}
      {outcome && (
        <Alert tone={outcome.result.ok ? 'success' : 'danger'} title={outcome.result.ok ? `Test sent through “${outcome.channel}”` : `The test through “${outcome.channel}” failed`} testId="test-outcome">
          {outcome.result.ok ? `The receiver answered: ${outcome.result.response ?? 'accepted'}` : outcome.result.error}
        </Alert>
      )}
      {test.error && <ErrorAlert title="The test was not sent" error={test.error} />}
      <section className="card">
        <div className="table-scroll">
          <table className="table" aria-label="Notification channels">
            <thead>
              <tr>
                <th>Channel</th>
                <th>Kind</th>
                <th>Sends to</th>
                <th>Events</th>
                <th>Last delivery</th>
                <th className="actions-col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <TableStatus
                colSpan={6}
                loading={channels.isPending}
                error={channels.error}
                empty={rows.length === 0 && (canEdit ? 'No channels yet: create one so failures reach someone.' : 'No channels yet: an admin creates them.')}
              />
              {rows.map((c) => (
                <tr key={c.id} data-testid="channel-row">
                  <td>
                    <strong>{c.name}</strong>
                    {!c.enabled && <span className="badge badge-neutral badge-inline">disabled</span>}
                    {c.allowCidrs.length > 0 && <div className="muted small">allows {c.allowCidrs.join(', ')}</div>}
                  </td>
                  <td>{c.kindLabel}</td>
                  <td className="break-anywhere">
                    <code>{targetOf(c)}</code>
                  </td>
                  <td>
                    <ul className="plain-list">
                      {c.events.map((e) => (
                        <li key={e} className="small">
                          {EVENT_LABEL.get(e) ?? e}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {c.lastDelivery ? (
                      <>
                        <DeliveryBadge status={c.lastDelivery.status} /> <span className="muted small">{formatDateTime(c.lastDelivery.at)}</span>
                      </>
                    ) : (
                      <span className="muted">none</span>
                    )}
                    {c.lastError && <div className="danger-text small break-anywhere">{c.lastError}</div>}
                  </td>
                  <td className="actions-col">
                    <div className="row-actions">
                      <button type="button" className="btn btn-sm" aria-pressed={shown === c.id} onClick={() => setShown(shown === c.id ? null : c.id)}>
                        {shown === c.id ? 'Hide log' : 'Delivery log'}
                      </button>
                      {canEdit && (
                        <button type="button" className="btn btn-sm" disabled={test.isPending} aria-label={`Send test through ${c.name}`} onClick={() => test.mutate(c)}>
                          {test.isPending && test.variables?.id === c.id ? 'Sending…' : 'Send test'}
                        </button>
                      )}
                      {canEdit && (
                        <button type="button" className="btn btn-sm btn-ghost" aria-label={`Delete channel ${c.name}`} onClick={() => setDeleting(c)}>
                          Delete…
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {selected && <DeliveryLog key={selected.id} channel={selected} />}
      <Modal title="New notification channel" open={creating} onClose={() => setCreating(false)} wide>
        {creating && (
          <ChannelForm
            onClose={() => setCreating(false)}
            onCreated={(channel) => {
              setCreating(false);
              setCopied(false);
              setCreated(channel);
            }}
          />
        )}
      </Modal>
      <Modal title={deleting ? `Delete ${deleting.name}?` : 'Delete channel'} open={deleting !== null} onClose={() => setDeleting(null)}>
        {deleting && (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              remove.mutate(deleting);
            }}
          >
            <p>Nothing more is sent through it, and its delivery log goes with it. The audit trail keeps that it existed.</p>
            {remove.error && <ErrorAlert title="The channel was not deleted" error={remove.error} />}
            <div className="form-actions">
              <span className="spacer" />
              <button type="button" className="btn btn-ghost" onClick={() => setDeleting(null)}>
                Cancel
              </button>
              <button type="submit" className="btn btn-danger" disabled={remove.isPending}>
                {remove.isPending ? 'Deleting…' : 'Delete channel'}
              </button>
            </div>
          </form>
        )}
      </Modal>
    </>
  );
}
