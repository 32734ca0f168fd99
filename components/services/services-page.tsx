'use client';

import Link from 'next/link';
import { useState } from 'react';
import { useServices, useSlo, useSources, useTiers } from '@/components/api/queries';
import type { Service, SloCompliance, Source, Tier } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { formatPercent, formatSeconds } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { DeleteServiceForm, ServiceForm } from './service-form';
import { TierForm } from './tier-form';

type Dialog =
  | { kind: 'new-service' }
  | { kind: 'edit-service'; service: Service }
  | { kind: 'delete-service'; service: Service }
  | { kind: 'new-tier' }
  | { kind: 'edit-tier'; tier: Tier };

function dialogTitle(d: Dialog | null): string {
  switch (d?.kind) {
    case 'new-service':
      return 'New service';
    case 'edit-service':
      return `Edit ${d.service.name}`;
    case 'delete-service':
      return 'Delete service';
    case 'new-tier':
      return 'New tier';
    case 'edit-tier':
      return `Edit ${d.tier.name}`;
    default:
      return '';
  }
}

/** "2 of 3 sources within target (67 %)", from GET /slo; nothing when the SLO report is unavailable. */
function ComplianceText({ c, short = false }: { c: SloCompliance | undefined; short?: boolean }) {
  if (!c) return <span className="muted">—</span>;
  if (c.sources === 0) return <span className="muted">no sources</span>;
  const tone = c.compliant === c.sources ? 'badge-success' : c.compliant === 0 ? 'badge-danger' : 'badge-warning';
  const words = `${c.compliant} of ${c.sources} source${c.sources === 1 ? '' : 's'} within both targets`;
  return (
    <span data-testid="compliance" title={words}>
      <span className={`badge ${tone}`}>{formatPercent(c.compliance)}</span> {short ? `${c.compliant}/${c.sources}` : words}
    </span>
  );
}

/**
 * Services (what users depend on) with their tier's objectives, their sources and, when the SLO report answers,
 * their compliance; the sources that belong to no service; and the tiers. Operators and admins create and edit;
 * the server authorizes every request.
 */
export function ServicesPage() {
  const viewer = useViewer();
  const services = useServices();
  const tiers = useTiers();
  const sources = useSources();
  const slo = useSlo();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canEdit = viewer.can.writeInventory;

  const open = (d: Dialog) => {
    setNotice(null);
    setDialog(d);
  };
  const saved = (message: string) => {
    setDialog(null);
    setNotice(message);
  };
  // The SLO report is optional here: without it (an older server, an error) compliance is simply not shown.
  const sloReport = slo.isSuccess ? slo.data : null;
  const serviceCompliance = (id: string) => sloReport?.services.find((s) => s.id === id);
  const tierCompliance = (id: string) => sloReport?.tiers.find((t) => t.id === id);
  const sourceList = sources.data ?? null;
  const sourcesOf = (s: Service): Source[] | null => sourceList && sourceList.filter((x) => x.serviceId === s.id);
  const ungrouped = sourceList?.filter((x) => x.serviceId === null) ?? [];
  const rows = services.data ?? [];
  const tierRows = tiers.data ?? [];

  return (
    <>
      <PageHeader
        title="Services"
        subtitle="What users depend on, the sources behind each, and the recovery objectives they are held to."
        actions={
          canEdit && (
            <button type="button" className="btn btn-primary" onClick={() => open({ kind: 'new-service' })}>
              New service
            </button>
          )
        }
      />
      {notice && (
        <Alert tone="success" testId="services-notice">
          {notice}
        </Alert>
      )}
      {services.isPending && <p className="muted">Loading…</p>}
      {services.error && <ErrorAlert title="The services could not be loaded" error={services.error} />}
      {services.isSuccess && rows.length === 0 && (
        <div className="card">
          <p className="muted">
            No services yet. {canEdit ? 'Create one, pick its tier, then attach sources to it from each source’s page (Edit).' : ''}
          </p>
        </div>
      )}
      {rows.length > 0 && (
        <ul className="policy-list" aria-label="Services">
          {rows.map((s) => (
            <li key={s.id}>
              <ServiceCard
                service={s}
                sources={sourcesOf(s)}
                compliance={sloReport ? <ComplianceText c={serviceCompliance(s.id)} /> : null}
                canEdit={canEdit}
                onEdit={() => open({ kind: 'edit-service', service: s })}
                onDelete={() => open({ kind: 'delete-service', service: s })}
              />
            </li>
          ))}
        </ul>
      )}

      <section className="card" aria-labelledby="ungrouped-heading" data-testid="ungrouped-sources">
        <h2 id="ungrouped-heading">Sources without a service</h2>
        {sources.isPending ? (
          <p className="muted">Loading…</p>
        ) : sources.error ? (
          <ErrorAlert title="The sources could not be loaded" error={sources.error} />
        ) : ungrouped.length === 0 ? (
          <p className="muted">Every source belongs to a service.</p>
        ) : (
          <>
            <p className="muted">Not held to any tier&apos;s objectives. Attach one from its page (Edit).</p>
            <ul className="plain-list">
              {ungrouped.map((x) => (
                <li key={x.id}>
                  <Link href={`/sources/${x.id}`}>{x.name}</Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="tiers-heading">
        <div className="section-head">
          <h2 id="tiers-heading">Tiers</h2>
          {canEdit && (
            <button type="button" className="btn btn-sm" onClick={() => open({ kind: 'new-tier' })}>
              New tier
            </button>
          )}
        </div>
        {/* A narrow screen scrolls the table sideways rather than squeezing its columns into word stacks. */}
        <div style={{ overflowX: 'auto' }}>
          <table className="table" aria-label="Tiers">
            <thead>
              <tr>
                <th>Tier</th>
                <th title="Recovery point objective: the most data, in time, that may be lost">RPO</th>
                <th title="Recovery time objective: how long a restore may take">RTO</th>
                <th>Services</th>
                {sloReport && <th>Compliance</th>}
                <th className="actions-col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <TableStatus colSpan={sloReport ? 6 : 5} loading={tiers.isPending} error={tiers.error} empty={tierRows.length === 0 && 'No tiers.'} />
              {tierRows.map((t) => (
                <tr key={t.id} data-testid="tier-row">
                  <td>
                    <strong>{t.name}</strong>
                    {t.description && <div className="muted small">{t.description}</div>}
                  </td>
                  <td data-testid="tier-rpo">{formatSeconds(t.rpoSeconds)}</td>
                  <td data-testid="tier-rto">{formatSeconds(t.rtoSeconds)}</td>
                  <td className="num">{t.serviceCount ?? '—'}</td>
                  {sloReport && (
                    <td>
                      <ComplianceText c={tierCompliance(t.id)} short />
                    </td>
                  )}
                  <td className="actions-col">
                    {canEdit && (
                      <button type="button" className="btn btn-sm" aria-label={`Edit tier ${t.name}`} onClick={() => open({ kind: 'edit-tier', tier: t })}>
                        Edit…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <Modal title={dialogTitle(dialog)} open={dialog !== null} onClose={() => setDialog(null)}>
        {dialog?.kind === 'new-service' && <ServiceForm onClose={() => setDialog(null)} onSaved={saved} />}
        {dialog?.kind === 'edit-service' && <ServiceForm key={dialog.service.id} service={dialog.service} onClose={() => setDialog(null)} onSaved={saved} />}
        {dialog?.kind === 'delete-service' && (
          <DeleteServiceForm key={dialog.service.id} service={dialog.service} onClose={() => setDialog(null)} onSaved={saved} />
        )}
        {dialog?.kind === 'new-tier' && <TierForm onClose={() => setDialog(null)} onSaved={saved} />}
        {dialog?.kind === 'edit-tier' && <TierForm key={dialog.tier.id} tier={dialog.tier} onClose={() => setDialog(null)} onSaved={saved} />}
      </Modal>
    </>
  );
}

function ServiceCard({
  service: s,
  sources,
  compliance,
  canEdit,
  onEdit,
  onDelete,
}: {
  service: Service;
  /** Null while the source list loads (or failed). */
  sources: Source[] | null;
  /** Null when the SLO report is unavailable: the row is left out rather than shown empty. */
  compliance: React.ReactNode;
  canEdit: boolean;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const headingId = `service-${s.id}`;
  return (
    <article className="card policy" aria-labelledby={headingId} data-testid="service">
      <div className="section-head">
        <h2 id={headingId}>{s.name}</h2>
        {canEdit && (
          <span className="inline-flex">
            <button type="button" className="btn btn-sm" aria-label={`Edit service ${s.name}`} onClick={onEdit}>
              Edit…
            </button>
            <button type="button" className="btn btn-sm btn-danger" aria-label={`Delete service ${s.name}`} onClick={onDelete}>
              Delete…
            </button>
          </span>
        )}
      </div>
      {s.description && <p>{s.description}</p>}
      <dl className="config policy-facts">
        <div>
          <dt>Tier</dt>
          <dd data-testid="service-tier">
            {s.tier ? (
              <>
                <strong>{s.tier.name}</strong>: lose at most {formatSeconds(s.tier.rpoSeconds)} of data, restored within {formatSeconds(s.tier.rtoSeconds)}
              </>
            ) : (
              <span className="muted">no tier: no objectives to meet</span>
            )}
          </dd>
        </div>
        {compliance !== null && (
          <div>
            <dt>Compliance</dt>
            <dd>{compliance}</dd>
          </div>
        )}
        {s.contact && (
          <div>
            <dt>Contact</dt>
            <dd data-testid="service-contact">{s.contact}</dd>
          </div>
        )}
        <div>
          <dt>Sources</dt>
          <dd data-testid="service-sources">
            {sources === null ? (
              <span className="muted">{s.sourceCount}</span>
            ) : sources.length === 0 ? (
              <span className="muted">none yet: attach one from its page (Edit)</span>
            ) : (
              <ul className="plain-list" aria-label={`Sources of ${s.name}`}>
                {sources.map((x) => (
                  <li key={x.id}>
                    <Link href={`/sources/${x.id}`}>{x.name}</Link>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
      </dl>
    </article>
  );
}
