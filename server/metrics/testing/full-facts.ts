import type { MetricFacts } from '../load-metric-facts';

/**
 * Facts in which every metric has evidence (a tiered source backed up, verified and restored; a queue; copies;
 * storage; an audit check), as plain data: what the renderer and the rule/dashboard checks run on without a catalog.
 */
export function fullFacts(now: Date): MetricFacts {
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000);
  return {
    loadedAt: now,
    slo: {
      tiers: [{ id: 'tier-1', name: 'tier-1-critical', rpoSeconds: 300, rtoSeconds: 3_600 }],
      services: [{ id: 'svc', name: 'API Gateway', tierId: 'tier-1' }],
      sources: [
        {
          sourceId: 'src-orders',
          name: 'orders-db',
          serviceId: 'svc',
          serviceName: 'API Gateway',
          tierId: 'tier-1',
          targets: { rpoSeconds: 300, rtoSeconds: 3_600 },
          policy: { name: 'hourly', paused: false },
          outlook: { backupSchedules: 1, nextBackupAt: at(-600), nextRunAt: at(-600) },
          points: [{ id: 'p1', createdAt: at(90), runStartedAt: at(120), sizeBytes: 4_000, verifiedAt: at(60), verifyError: null }],
          runs: [{ id: 'r1', kind: 'RESTORE', status: 'SUCCEEDED', createdAt: at(50), startedAt: at(49), finishedAt: at(30) }],
          pointCount: 1,
          missedSlots24h: 0,
        },
      ],
      installation: { restoreBytesPerSecond: 200 },
    },
    sources: new Map([
      [
        'src-orders',
        {
          kind: 'postgres',
          lastBackup: { finishedAt: at(90), durationSeconds: 30, storedBytes: 5_000 },
          lastFailureAt: at(3_600),
          runs: { backupSucceeded: 12, backupFailed: 1, verifySucceeded: 3, verifyFailed: 0, restoreSucceeded: 1, restoreFailed: 0 },
          missedSlots: 2,
        },
      ],
    ]),
    queue: { waiting: 1, active: 1, delayed: 0, prioritized: 0, 'waiting-children': 0, completed: 10, failed: 0 },
    copies: { pending: 1, failed: 0 },
    storage: [
      { destination: 'local-backups', storageClass: null, bytes: 5_000 },
      { destination: 'offsite', storageClass: 'GLACIER', bytes: 4_000 },
    ],
    auditChainOk: true,
  };
}
