'use client';

import { useRuns } from '@/components/api/queries';
import { isActive } from '@/components/api/types';
import { PageHeader } from '@/components/ui/page-header';
import { RunsTable } from './runs-table';

export function RunsPage() {
  const runs = useRuns({ limit: 100 });
  const active = runs.data?.filter((r) => isActive(r.status)).length ?? 0;
  return (
    <>
      <PageHeader
        title="Runs"
        subtitle={active > 0 ? `${active} active · refreshing every 2 s` : 'Backups and restores, newest first'}
      />
      <div className="card">
        <RunsTable runs={runs.data} loading={runs.isPending} error={runs.error} />
      </div>
    </>
  );
}
