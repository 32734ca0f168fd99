/**
 * Every metric `GET /metrics` exports, declared once: its name, type, help text and labels. The renderer registers
 * exactly these; the rule and dashboard test (deploy.test.ts) checks every name deploy/ refers to is among them.
 *
 * Names follow the runbooks' exporter (`backup_age_seconds`, `backup_size_bytes`, `backup_status`, …) so their
 * alert rules and dashboard read Lifeboat unchanged; what only Lifeboat knows is under `lifeboat_`. Counters
 * (`*_total`) are counts of runs and slots in the catalog, not of what this process saw: every web process answers
 * the same figures, and a restart resets nothing. (`lifeboat_wal_archive_lag_seconds` and `lifeboat_wal_gaps` are
 * kept for a WAL-archiving engine and not exported yet.)
 */

/** The labels of every per-source metric: the source's name, its engine, its service and that service's tier. */
export const SOURCE_LABELS = ['source', 'kind', 'service', 'tier'] as const;
export type SourceLabel = (typeof SOURCE_LABELS)[number];

export interface MetricDefinition {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  labelNames: readonly string[];
}

const source = (name: string, type: MetricDefinition['type'], help: string): MetricDefinition => ({ name, type, help, labelNames: SOURCE_LABELS });

export const METRICS = {
  backupAge: source('backup_age_seconds', 'gauge', 'Seconds since the newest successful backup of the source finished'),
  backupSize: source('backup_size_bytes', 'gauge', 'Stored bytes (all objects, compressed and encrypted) of the newest successful backup'),
  backupDuration: source('backup_duration_seconds', 'gauge', 'Seconds the newest successful backup took (start to end)'),
  backupStatus: source('backup_status', 'gauge', 'Outcome of the last finished backup run: 1 succeeded, 0 failed (cancelled runs are not counted)'),
  backupSuccess: source('backup_success_total', 'counter', 'Backup runs of the source that succeeded, from the catalog'),
  backupFailed: source('backup_failed_total', 'counter', 'Backup runs of the source that failed with no attempt left, from the catalog'),
  verifySuccess: source('backup_verification_success_total', 'counter', 'Verify runs of the source that succeeded (a point proved restorable)'),
  verifyFailed: source('backup_verification_failed_total', 'counter', 'Verify runs of the source that failed'),
  testSuccess: source('backup_test_success_total', 'counter', 'Restore runs of the source that succeeded (restore tests, drills and real restores)'),
  testFailed: source('backup_test_failed_total', 'counter', 'Restore runs of the source that failed'),
  rpoAchieved: source('lifeboat_rpo_achieved_seconds', 'gauge', 'Achieved RPO: seconds since the data time of the newest recovery point that counts (GET /api/v1/slo)'),
  rpoTarget: source('lifeboat_rpo_target_seconds', 'gauge', "RPO target of the source's tier, in seconds"),
  rtoAchieved: source('lifeboat_rto_achieved_seconds', 'gauge', 'Achieved RTO: seconds the newest successful restore took, request to end'),
  rtoTarget: source('lifeboat_rto_target_seconds', 'gauge', "RTO target of the source's tier, in seconds"),
  missedSlots: source('lifeboat_missed_slots_total', 'counter', 'Schedule slots of the source recorded MISSED'),
  queueJobs: { name: 'lifeboat_queue_jobs', type: 'gauge', help: 'Jobs in the BullMQ runs queue, by state', labelNames: ['state'] },
  copiesPending: { name: 'lifeboat_copies_pending', type: 'gauge', help: 'Copies of recovery points to other destinations not made yet', labelNames: [] },
  copiesFailed: { name: 'lifeboat_copies_failed', type: 'gauge', help: 'Copies of recovery points that failed with no attempt left', labelNames: [] },
  storage: {
    name: 'lifeboat_storage_bytes',
    type: 'gauge',
    help: 'Bytes stored per destination and storage class (primary objects still there, plus OK copies); storage_class "default" is as uploaded',
    labelNames: ['destination', 'storage_class'],
  },
  auditChainOk: {
    name: 'lifeboat_audit_chain_ok',
    type: 'gauge',
    help: 'Outcome of the last audit chain check (audit.check or an anchor): 1 verified, 0 broken; absent before the first check',
    labelNames: [],
  },
} satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** Every exported metric name. */
export const METRIC_NAMES: readonly string[] = Object.values(METRICS).map((m) => m.name);

/** The states `lifeboat_queue_jobs` reports (BullMQ's job states), always all of them: a state with no job is 0. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];
