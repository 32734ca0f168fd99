'use client';

import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '@/components/api/client';
import type { RecoveryPoint, Run } from '@/components/api/types';
import { ErrorAlert } from '@/components/ui/alert';
import { formatBytes, formatDateTime } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { FormActions } from '@/components/ui/form-actions';

/** `orders_restore_20250101_1200`: unique enough per minute, and obviously a copy. Kept within 63 bytes. */
function suggestName(database: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 13);
  return `${database.slice(0, 40)}_restore_${stamp}`;
}

/** Asks for a new database name and requests the restore; the worker creates that database and never overwrites one. */
export function RestoreDialog({ point, sourceDatabase, onClose }: { point: RecoveryPoint | null; sourceDatabase: string; onClose: () => void }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [database, setDatabase] = useState('');
  const restore = useMutation({
    mutationFn: (vars: { pointId: string; database: string }) =>
      api<Run>(`/recovery-points/${encodeURIComponent(vars.pointId)}/restores`, { method: 'POST', body: { target: { database: vars.database } } }),
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      router.push(`/runs/${run.id}`);
    },
  });
  const { reset } = restore;

  useEffect(() => {
    if (point) {
      setDatabase(suggestName(sourceDatabase, new Date()));
      reset();
    }
  }, [point, sourceDatabase, reset]);

  return (
    <Modal title="Restore recovery point" open={point !== null} onClose={onClose}>
      {point && (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            restore.mutate({ pointId: point.id, database: database.trim() });
          }}
        >
          <p className="muted">
            From the backup of {formatDateTime(point.createdAt)} ({formatBytes(point.sizeBytes)}). The restore creates a new database on the
            source&apos;s server; it fails rather than overwrite an existing one.
          </p>
          <div className="field">
            <label htmlFor="restore-database">New database name</label>
            <input id="restore-database" name="database" required maxLength={63} autoFocus value={database} onChange={(e) => setDatabase(e.target.value)} />
          </div>
          {restore.error && <ErrorAlert title="The restore was not started" error={restore.error} />}
          <FormActions
            onCancel={onClose}
            submitLabel="Start restore"
            pendingLabel="Starting restore…"
            pending={restore.isPending || restore.isSuccess}
            disabled={database.trim() === ''}
          />
        </form>
      )}
    </Modal>
  );
}
