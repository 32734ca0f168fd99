'use client';

import Link from 'next/link';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '@/components/api/client';
import { keys } from '@/components/api/queries';
import { isActive, type RunDetail as RunDetailDto, type RunLog } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert, ErrorMessage } from '@/components/ui/alert';
import { formatDateTime, formatRate, formatTime, runDuration } from '@/components/ui/format';
import { PageHeader } from '@/components/ui/page-header';
import { sentence } from '@/components/ui/error-text';
import { progressView } from '@/components/ui/progress';
import { ProgressBar } from '@/components/ui/progress-bar';
import { StatusBadge } from '@/components/ui/status-badge';
import { useNow } from '@/components/ui/use-now';
import { restoreResultView, type RestoreResultView } from './restore-result';
import { restoreTarget } from './runs-table';
import { useLiveRun, type Transport } from './use-live-run';

export function RunDetail({ id }: { id: string }) {
  const viewer = useViewer();
  const queryClient = useQueryClient();
  const { run, logs, mergedLogs, transport, rate } = useLiveRun(id);
  const now = useNow(isActive(run.data?.status));

  const cancel = useMutation({
    mutationFn: () => api<RunDetailDto>(`/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    onSuccess: (updated) => {
      // A queued run is cancelled at once (no worker publishes that); a running one reports CANCELLED through the stream.
      queryClient.setQueryData(keys.run(id), updated);
      void queryClient.invalidateQueries({ queryKey: ['runs', 'list'] });
    },
  });

  const stop = useMutation({
    mutationFn: () => api<RunDetailDto>(`/runs/${encodeURIComponent(id)}/stop`, { method: 'POST' }),
    onSuccess: (updated) => queryClient.setQueryData(keys.run(id), updated),
  });

  if (run.isPending) return <p className="muted">Loading…</p>;
  if (run.error && !run.data) {
    return (
      <>
        <PageHeader title="Run" />
        <ErrorAlert title="The run could not be loaded" error={run.error} />
        <p>
          <Link href="/runs">Back to runs</Link>
        </p>
      </>
    );
  }
  const r = run.data;
  const active = isActive(r.status);
  const target = restoreTarget(r);
  const progress = progressView({
    done: r.bytesDone,
    total: r.bytesTotal,
    active,
    complete: r.status === 'SUCCEEDED',
    // A backup's total is pg_database_size-like guesswork; a restore or verify knows the stored size.
    estimated: r.kind === 'BACKUP',
  });
  const restored = restoreResultView(r.result, now);
  const title = r.kind === 'RESTORE' ? `Restore of ${r.sourceName ?? 'a source'}` : `${capitalize(r.kind.toLowerCase())} of ${r.sourceName ?? 'a source'}`;

  return (
    <>
      <PageHeader
        title={title}
        subtitle={
          <>
            Run <span className="mono">{r.id}</span> · requested by {r.requestedBy}
          </>
        }
        actions={
          viewer.can.cancelRun &&
          active && (
            <button type="button" className="btn btn-danger" onClick={() => cancel.mutate()} disabled={cancel.isPending || r.cancelRequested}>
              {cancel.isPending || r.cancelRequested ? 'Cancelling…' : 'Cancel run'}
            </button>
          )
        }
      />
      {cancel.error && <ErrorAlert title="The run was not cancelled" error={cancel.error} />}

      <section className="card run-summary" aria-label="Run progress">
        <div className="run-status-line">
          <StatusBadge status={r.status} testId="run-status" />
          <span className="phase" data-testid="run-phase">
            {r.phase ?? (r.status === 'QUEUED' ? 'waiting for a worker' : '—')}
          </span>
          <TransportChip transport={transport} />
        </div>
        <ProgressBar percent={progress.percent} active={active} complete={r.status === 'SUCCEEDED'} label={`${r.kind.toLowerCase()} progress`} />
        <div className="stats">
          <Stat label="Bytes" testId="run-bytes">
            {progress.text}
          </Stat>
          <Stat label="Rate" testId="run-rate">
            {active ? formatRate(rate) : '—'}
          </Stat>
          <Stat label="Duration">{runDuration(r, now)}</Stat>
          <Stat label="Started">{formatDateTime(r.startedAt)}</Stat>
          <Stat label="Finished">{formatDateTime(r.finishedAt)}</Stat>
          <Stat label="Attempt">
            {r.attempt} of {r.maxAttempts}
          </Stat>
          {target && <Stat label="Target database">{target}</Stat>}
        </div>

        {r.status === 'FAILED' && r.error && (
          <Alert title="The run failed" testId="run-error">
            {sentence(r.error)}
          </Alert>
        )}
        {r.status === 'CANCELLED' && <Alert tone="warning">{r.error ? sentence(r.error) : 'Cancelled.'}</Alert>}
        {r.status === 'SUCCEEDED' && r.cancelRequested && (
          // The cancel committed while the run was finishing: its work was already stored, so it was kept.
          <Alert tone="warning" title="Finished before the cancel arrived" testId="run-cancel-too-late">
            The run had already completed when the cancel request reached its worker, so its result was kept.
          </Alert>
        )}
        {r.status === 'SUCCEEDED' && r.kind === 'BACKUP' && r.sourceId && (
          <Alert tone="success" title="Backup complete">
            A new recovery point was stored.{' '}
            <Link href={`/sources/${r.sourceId}#recovery-points`} data-testid="recovery-points-link">
              View recovery points of {r.sourceName ?? 'the source'}
            </Link>
          </Alert>
        )}
        {r.status === 'SUCCEEDED' && r.kind === 'RESTORE' && (
          <Alert tone="success" title="Restore complete">
            {target !== null || !restored?.address ? (
              <>
                Restored into database <strong className="mono">{target ?? 'the target'}</strong>.{' '}
              </>
            ) : (
              <>
                Restored; the data is at <strong className="mono">{restored.address}</strong>.{' '}
              </>
            )}
            {r.sourceId && <Link href={`/sources/${r.sourceId}`}>Back to {r.sourceName ?? 'the source'}</Link>}
          </Alert>
        )}
      </section>

      {r.status === 'SUCCEEDED' && r.kind === 'RESTORE' && restored?.address && (
        <RestoredInstance
          view={restored}
          canStop={viewer.can.requestRestore}
          stopping={stop.isPending}
          onStop={() => stop.mutate()}
          error={stop.error}
        />
      )}

      <section className="card" aria-labelledby="log-heading">
        <div className="section-head">
          <h2 id="log-heading">Log</h2>
          {logs.error && <span className="small danger-text">log unavailable: <ErrorMessage error={logs.error} /></span>}
        </div>
        <LogView lines={mergedLogs} follow={active} />
      </section>
    </>
  );
}

/**
 * Where a restore put the data (the run's `result`): the address, a scratch instance's password behind a reveal, until
 * when it runs, the keys per database, and "Stop instance" while it runs.
 */
function RestoredInstance({
  view,
  canStop,
  stopping,
  onStop,
  error,
}: {
  view: RestoreResultView;
  canStop: boolean;
  stopping: boolean;
  onStop: () => void;
  error: Error | null;
}) {
  const [revealed, setRevealed] = useState(false);
  const running = view.state === 'running';
  return (
    <section className="card" aria-labelledby="restored-heading" data-testid="restored-instance">
      <div className="section-head">
        <h2 id="restored-heading">{view.state === 'none' ? 'Restored into' : 'Restored instance'}</h2>
        {canStop && running && (
          <button type="button" className="btn btn-danger" onClick={onStop} disabled={stopping}>
            {stopping ? 'Stopping…' : 'Stop instance'}
          </button>
        )}
      </div>
      {error && <ErrorAlert title="The instance was not stopped" error={error} />}
      <div className="stats">
        <Stat label="Address" testId="result-address">
          <span className="mono">{view.address}</span>
        </Stat>
        {view.password !== null && (
          <Stat label="Password">
            <span className="mono" data-testid="result-password">
              {revealed ? view.password : '••••••••'}
            </span>{' '}
            <button type="button" className="btn btn-sm" onClick={() => setRevealed((v) => !v)} aria-pressed={revealed}>
              {revealed ? 'Hide' : 'Reveal'}
            </button>
          </Stat>
        )}
        {view.state !== 'none' && (
          <Stat label={view.state === 'stopped' ? 'Stopped' : view.state === 'expired' ? 'Expired' : 'Runs until'} testId="result-state">
            <span data-state={view.state}>{formatDateTime(view.state === 'stopped' ? view.stoppedAt : view.expiresAt)}</span>
          </Stat>
        )}
        {view.counts.length > 0 && (
          <Stat label="Keys" testId="result-keys">
            {view.counts.map(([db, n]) => `${db}: ${n.toLocaleString('en-US')}`).join(', ')}
          </Stat>
        )}
      </div>
      {running && (
        <p className="muted small">
          Reachable from the worker&apos;s host only; it is stopped and its files removed at {formatDateTime(view.expiresAt)}, or when you stop it.
        </p>
      )}
    </section>
  );
}

function TransportChip({ transport }: { transport: Transport }) {
  const text = transport === 'live' ? 'live' : transport === 'polling' ? 'polling every 2 s' : 'finished';
  return (
    <span className={`transport transport-${transport}`} data-testid="run-transport" data-transport={transport} title={TRANSPORT_HINT[transport]}>
      {transport === 'live' && <span className="live-dot" aria-hidden="true" />}
      {text}
    </span>
  );
}

const TRANSPORT_HINT: Record<Transport, string> = {
  live: 'Progress is pushed by the server as it happens',
  polling: 'The live stream dropped; re-reading the run every 2 seconds',
  done: 'The run has finished',
};

function Stat({ label, testId, children }: { label: string; testId?: string; children: React.ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {children}
      </div>
    </div>
  );
}

function LogView({ lines, follow }: { lines: RunLog[]; follow: boolean }) {
  const ref = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && follow && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lines.length, follow]);
  if (lines.length === 0) return <p className="muted">No log lines yet.</p>;
  return (
    <ol
      className="log"
      ref={ref}
      data-testid="run-logs"
      aria-live="polite"
      onScroll={(e) => {
        const el = e.currentTarget;
        // Keep following the tail only while the operator has not scrolled up to read something.
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {lines.map((l) => (
        <li key={l.id} className={`log-line log-${l.level}`}>
          <time dateTime={l.at}>{formatTime(l.at)}</time>
          <span className="log-level">{l.level}</span>
          <span className="log-message">{l.message}</span>
        </li>
      ))}
    </ol>
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
