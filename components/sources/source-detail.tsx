'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, errorText } from '@/components/api/client';
import { keys, useProtection, useRecoveryPoints, useRuns, useSource } from '@/components/api/queries';
import { isActive, type DeleteResult, type Protection, type RecoveryPoint, type Run } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { RunsTable } from '@/components/runs/runs-table';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { formatBytes, formatConfigValue, formatDateTime, shortHash } from '@/components/ui/format';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { KindLabel } from './sources-table';
import { PointActionDialog, RetentionBadges, type PointAction } from './point-actions';
import { PointObjects } from './point-objects';
import { PruningPlanCard } from './pruning-plan';
import { RestoreDialog } from './restore-dialog';
import { RetentionPanel } from './retention-panel';
import { SloPanel } from './slo-panel';
import { SourceDialogs, type SourceDialog } from './source-edit-dialog';

// The settings an operator recognises first; anything else the engine stores follows in key order.
const CONFIG_ORDER = ['host', 'port', 'database', 'user', 'sslmode'];

export function SourceDetail({ id }: { id: string }) {
  const router = useRouter();
  const viewer = useViewer();
  const queryClient = useQueryClient();
  const source = useSource(id);
  const runs = useRuns({ sourceId: id, limit: 10 });
  const anyActive = runs.data?.some((r) => isActive(r.status)) ?? false;
  const points = useRecoveryPoints(id, { follow: anyActive });
  // A run that finished since the last look may have made a point, or changed the protection and SLO figures: read
  // the source's queries again. Following only while a run is active misses a scheduled run that started and ended
  // between two refreshes of the runs list, and the last follow may read the points just before the new one lands.
  const finished = runs.data?.filter((r) => !isActive(r.status)).map((r) => r.id).join(',');
  const seenFinished = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (finished === undefined) return;
    if (seenFinished.current !== undefined && seenFinished.current !== finished) void queryClient.invalidateQueries({ queryKey: keys.source(id) });
    seenFinished.current = finished;
  }, [finished, id, queryClient]);
  const copiesPending = points.data?.some((p) => p.storedCopies.extra.some((c) => c.status === 'COPY_PENDING')) ?? false;
  const protection = useProtection(id, { follow: anyActive || copiesPending });
  const [restoring, setRestoring] = useState<RecoveryPoint | null>(null);
  const [pointAction, setPointAction] = useState<PointAction | null>(null);
  const [deleted, setDeleted] = useState<DeleteResult | null>(null);
  const [sourceDialog, setSourceDialog] = useState<SourceDialog>(null);

  const verify = useMutation({
    mutationFn: (pointId: string) => api<Run>(`/recovery-points/${encodeURIComponent(pointId)}/verify`, { method: 'POST' }),
    onSuccess: async (run) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      router.push(`/runs/${run.id}`);
    },
  });

  const backup = useMutation({
    mutationFn: () => api<Run>(`/sources/${encodeURIComponent(id)}/backups`, { method: 'POST' }),
    onSuccess: async (run) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      router.push(`/runs/${run.id}`);
    },
  });

  if (source.isPending) return <p className="muted">Loading…</p>;
  if (source.error) {
    return (
      <>
        <PageHeader title="Source" />
        <Alert>{errorText(source.error)}</Alert>
        <p>
          <Link href="/sources">Back to sources</Link>
        </p>
      </>
    );
  }
  const s = source.data;
  const config = Object.entries(s.config).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  const pointRows = points.data ?? [];

  return (
    <>
      <PageHeader
        title={s.name}
        subtitle={
          <>
            <KindLabel kind={s.kind} /> source · added {formatDateTime(s.createdAt)} ·{' '}
            <span data-testid="source-service">
              {s.service ? (
                <>
                  service <Link href="/services">{s.service.name}</Link>
                </>
              ) : (
                'no service'
              )}
            </span>{' '}
            · <span data-testid="source-policy">{s.policy ? `policy ${s.policy.name}` : 'no policy'}</span>
          </>
        }
        actions={
          <>
            {viewer.can.writeInventory && (
              <>
                <button type="button" className="btn" onClick={() => setSourceDialog('edit')}>
                  Edit…
                </button>
                <button type="button" className="btn btn-danger" onClick={() => setSourceDialog('delete')}>
                  Delete…
                </button>
              </>
            )}
            {viewer.can.runBackup && (
              <button type="button" className="btn btn-primary" onClick={() => backup.mutate()} disabled={backup.isPending || backup.isSuccess}>
                {backup.isPending || backup.isSuccess ? 'Starting backup…' : 'Back up now'}
              </button>
            )}
          </>
        }
      />
      {backup.error && <ErrorAlert title="The backup was not started" error={backup.error} />}
      {verify.error && <ErrorAlert title="The verification was not started" error={verify.error} />}

      <section className="card" aria-labelledby="config-heading">
        <h2 id="config-heading">Connection</h2>
        <dl className="config" data-testid="source-config">
          {config.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd className="mono">{formatConfigValue(value)}</dd>
            </div>
          ))}
          <div>
            <dt>password</dt>
            <dd className="muted">{s.hasPassword ? 'stored (encrypted)' : 'none'}</dd>
          </div>
        </dl>
      </section>

      <ProtectionChips status={protection.data} />
      <SloPanel sourceId={id} />

      <RetentionPanel policy={s.policy ?? null} />

      <section className="card" id="recovery-points" aria-labelledby="points-heading">
        <h2 id="points-heading">Recovery points</h2>
        {deleted && (
          <Alert tone={deleted.objectsDeleted ? 'success' : 'warning'} testId="delete-notice">
            {deleted.objectsDeleted
              ? `Recovery point ${deleted.id} was deleted with its stored objects.`
              : `Recovery point ${deleted.id} was deleted, but some of its stored objects were not; the server log lists them for cleanup.`}
          </Alert>
        )}
        <table className="table table-compact" aria-label="Recovery points">
          <thead>
            <tr>
              <th>
                Point
                <div className="muted">SHA-256</div>
              </th>
              <th>Time</th>
              <th className="num">Size</th>
              <th>Contents</th>
              <th>Destination</th>
              <th>Copies</th>
              <th>Verified</th>
              <th>Retention</th>
              <th className="actions-col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={9} loading={points.isPending} error={points.error} empty={pointRows.length === 0 && 'No recovery points yet. Run a backup to create one.'} />
            {pointRows.map((p) => (
              <tr key={p.id} data-testid="recovery-point-row">
                {/* The point's id and its sha256 share a cell: one more column pushed the row's actions off a laptop screen. */}
                <td>
                  <div className="mono" title={p.id}>
                    {p.id.slice(0, 8)}
                  </div>
                  <div className="mono muted small" title={`SHA-256 ${p.sha256}`}>
                    {shortHash(p.sha256)}
                  </div>
                </td>
                <td>
                  {formatDateTime(p.createdAt)}
                </td>
                <td className="num">{formatBytes(p.totalBytes)}</td>
                <td>
                  <PointObjects point={p} canDownload={viewer.can.requestRestore} />
                </td>
                <td>{p.destinationName ?? <span className="muted">—</span>}</td>
                <td>
                  <CopiesBadge point={p} />
                </td>
                <td>
                  <VerifyBadge point={p} />
                </td>
                <td>
                  <RetentionBadges point={p} />
                </td>
                <td className="actions-col">
                  <div className="row-actions">
                    {viewer.can.verifyPoint && (
                      <button
                        type="button"
                        className="btn btn-sm"
                        onClick={() => verify.mutate(p.id)}
                        disabled={verify.isPending || (verify.isSuccess && verify.variables === p.id)}
                      >
                        {verify.isPending && verify.variables === p.id ? 'Starting…' : 'Verify'}
                      </button>
                    )}
                    {viewer.can.requestRestore && (
                      <button type="button" className="btn btn-sm" onClick={() => setRestoring(p)}>
                        Restore
                      </button>
                    )}
                    {viewer.can.governPoints && (
                      <>
                        <button type="button" className="btn btn-sm" onClick={() => setPointAction({ kind: 'hold', point: p })}>
                          {p.legalHold ? 'Release hold…' : 'Legal hold…'}
                        </button>
                        <button type="button" className="btn btn-sm" onClick={() => setPointAction({ kind: 'lock', point: p })}>
                          Lock…
                        </button>
                      </>
                    )}
                    {viewer.can.writeInventory && (
                      <button
                        type="button"
                        className="btn btn-sm btn-danger"
                        onClick={() => {
                          setDeleted(null);
                          setPointAction({ kind: 'delete', point: p });
                        }}
                      >
                        Delete…
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <PruningPlanCard sourceId={id} points={points.data} />

      <section className="card" aria-labelledby="runs-heading">
        <div className="section-head">
          <h2 id="runs-heading">Recent runs</h2>
          <Link href="/runs" className="small">
            All runs →
          </Link>
        </div>
        <RunsTable runs={runs.data} loading={runs.isPending} error={runs.error} showSource={false} label="Recent runs" />
      </section>

      <RestoreDialog
        point={restoring}
        sourceConfig={s.config}
        onClose={() => setRestoring(null)}
      />
      <PointActionDialog action={pointAction} sourceId={id} onClose={() => setPointAction(null)} onDeleted={setDeleted} />
      <SourceDialogs source={s} dialog={sourceDialog} onClose={() => setSourceDialog(null)} />
    </>
  );
}

/**
 * "2/2 copies": stored copies that are OK out of all; each copy's status on hover. The primary is OK unless
 * retention pruned it while copies with a longer retention keep the point ("primary pruned").
 */
function CopiesBadge({ point }: { point: RecoveryPoint }) {
  const { ok, total, extra, primaryPruned } = point.storedCopies;
  const primary = `${point.destinationName ?? 'primary'}: ${primaryPruned ? `pruned ${formatDateTime(point.primaryDeletedAt)}` : 'OK'}`;
  const title = [primary, ...extra.map((c) => `${c.destinationName}: ${c.status.replace('COPY_', '')}`)].join('\n');
  const okNow = primaryPruned ? ok === total - 1 : ok === total;
  const tone = okNow ? 'badge-success' : extra.some((c) => c.status === 'COPY_FAILED') ? 'badge-danger' : 'badge-neutral';
  return (
    <span className={`badge ${tone} badge-inline`} title={title} data-testid="copies-badge" data-primary-pruned={primaryPruned || undefined}>
      {ok}/{total} {total === 1 ? 'copy' : 'copies'}
      {primaryPruned && ' · primary pruned'}
    </span>
  );
}

const RULE_PARTS = [
  ['three', '3 copies'],
  ['two', '2 media'],
  ['one', '1 offsite'],
  ['oneImmutable', '1 immutable'],
  ['zero', '0 errors'],
] as const;

/** The 3-2-1-1-0 rule for the newest recovery point: five pass/fail chips, the reasons on hover. */
function ProtectionChips({ status }: { status: Protection | undefined }) {
  if (!status) return null;
  const rule = status.rule321110;
  return (
    <section className="card" aria-labelledby="protection-heading" data-testid="protection">
      <h2 id="protection-heading">Protection (3-2-1-1-0)</h2>
      <p>
        {RULE_PARTS.map(([key, label]) => (
          <span
            key={key}
            className={`badge ${rule[key] ? 'badge-success' : 'badge-danger'} badge-inline`}
            data-testid={`protection-${key}`}
            data-state={rule[key] ? 'pass' : 'fail'}
            title={rule.reasons.join('\n') || 'all parts met'}
          >
            {rule[key] ? '✓' : '✗'} {label}
          </span>
        ))}{' '}
      </p>
      {!rule.ok && rule.reasons.length > 0 && (
        <ul className="muted small">
          {rule.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * "verified <time>" after the last successful verification, "verify failed" (reason on hover) after a failed one;
 * below it, each stored object whose last check failed ("copy on destination "eu": sha256 mismatch at last verify"),
 * also when another object kept the point restorable: a damaged object is never hidden.
 */
function VerifyBadge({ point }: { point: RecoveryPoint }) {
  const damaged = point.damagedObjects;
  let badge;
  if (point.verifiedAt === null && point.verifyError !== null) {
    badge = (
      <span className="badge badge-danger badge-inline" title={point.verifyError} data-testid="verify-badge" data-state="failed">
        verify failed
      </span>
    );
  } else if (point.verifiedAt !== null) {
    badge = (
      <span
        className={`badge ${damaged.length > 0 ? 'badge-warning' : 'badge-success'} badge-inline`}
        title={`verified ${formatDateTime(point.verifiedAt)}${damaged.length > 0 ? ' (restorable; see the damaged objects below)' : ''}`}
        data-testid="verify-badge"
        data-state={damaged.length > 0 ? 'damaged' : 'verified'}
      >
        verified {formatDateTime(point.verifiedAt)}
      </span>
    );
  } else {
    badge = <span className="muted">—</span>;
  }
  if (damaged.length === 0) return badge;
  return (
    <span className="badge-stack">
      {badge}
      {damaged.map((d) => (
        <span key={d.label} className="small danger-text" title={d.error} data-testid="damaged-object">
          {d.label}: {d.summary} at last verify
        </span>
      ))}
    </span>
  );
}

function rank(key: string): number {
  const i = CONFIG_ORDER.indexOf(key);
  return i === -1 ? CONFIG_ORDER.length : i;
}
