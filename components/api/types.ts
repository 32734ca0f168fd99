// Response shapes of /api/v1, taken from the server's DTOs (type-only imports: nothing of server/ is bundled).
import type { listApiTokens, createApiToken, Role } from '@/server/auth';
import type { DestinationListItem, SourceDto } from '@/server/inventory';
import type { PolicyDto } from '@/server/policies';
import type { ProtectionStatus, RecoveryPointDto } from '@/server/recovery-points';
import type {
  DeleteRecoveryPointResult,
  lockRecoveryPoint,
  requestPrune,
  RetentionPolicy,
  setLegalHold,
  setPolicyCopyRetention,
  setPolicyRetention,
  SourcePruningPlan,
} from '@/server/retention';
import type { RunDto, RunProgressEvent, getRun } from '@/server/runs';

/** What JSON.stringify makes of a server value: Dates arrive as ISO strings. */
type Jsonified<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

export type Source = SourceDto;
export type RecoveryPoint = RecoveryPointDto;
export type Protection = ProtectionStatus;
export type Run = RunDto;
export type RunDetail = Awaited<ReturnType<typeof getRun>>;
export type RunStatus = RunDto['status'];
export type RunLog = { id: string; at: string; level: string; message: string };
export type ProgressEvent = RunProgressEvent;
export type ApiToken = Awaited<ReturnType<typeof listApiTokens>>[number];
export type CreatedApiToken = Jsonified<Awaited<ReturnType<typeof createApiToken>>>;
export type { Role };
/** A source's policy as the detail page sees it (`GET /sources/{id}`), with its copy destinations. */
export type SourcePolicy = NonNullable<SourceDto['policy']>;
export type Retention = RetentionPolicy;
/** `GET /policies`: a policy with its primary destination's name and its copy destinations (each with its retention). */
export type Policy = PolicyDto;
export type PolicyCopy = PolicyDto['copies'][number];
/** `GET /destinations`: never the secrets, only which secret settings are stored; with used space and the policies using it. */
export type Destination = DestinationListItem;
/** `PUT /policies/{id}/retention`. */
export type PolicyRetentionSet = Awaited<ReturnType<typeof setPolicyRetention>>;
/** `PUT /policies/{id}/copies/{destinationId}/retention`. */
export type CopyRetentionSet = Awaited<ReturnType<typeof setPolicyCopyRetention>>;
/** `GET /sources/{id}/pruning-plan`: the dry run, per scope. */
export type PruningPlan = SourcePruningPlan;
export type PruneRequested = Awaited<ReturnType<typeof requestPrune>>;
export type LegalHoldResult = Awaited<ReturnType<typeof setLegalHold>>;
export type LockResult = Awaited<ReturnType<typeof lockRecoveryPoint>>;
export type DeleteResult = DeleteRecoveryPointResult;

export interface Items<T> {
  items: T[];
}

export interface ProbeResult {
  ok: boolean;
  version?: string;
  message?: string;
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
export const isTerminal = (status: string | undefined | null): boolean => !!status && TERMINAL_STATUSES.has(status);
export const isActive = (status: string | undefined | null): boolean => status === 'QUEUED' || status === 'RUNNING';
export type EncryptionKeyDto = import('@/server/keys').KeyDto;
/** An engine as `GET /engines` describes it: the dashboard renders its forms from this. */
export type EngineInfo = import('@/server/inventory').EngineInfo;
export type EngineFormField = EngineInfo['form'][number];

// ---- Issue 8: SLOs, slots and the overview's backup report (contract of GET /slo and /sources/{id}/slots) ----
export type SloStatus = 'OK' | 'AT_RISK' | 'BREACHED' | 'UNKNOWN' | 'UNPROTECTED';
export interface SloCompliance {
  id: string;
  name: string;
  sources: number;
  compliant: number;
  /** Share of the sources within both targets, 0..1; null without sources. */
  compliance: number | null;
}
export interface SloTier extends SloCompliance {
  rpoSeconds: number;
  rtoSeconds: number;
}
export interface SloService extends SloCompliance {
  tierId: string | null;
}
export interface SloSource {
  sourceId: string;
  name: string;
  serviceId: string | null;
  tierId: string | null;
  status: SloStatus;
  reasons: string[];
  rpo: { targetSeconds: number | null; achievedSeconds: number | null; verifiedAchievedSeconds: number | null; pointId: string | null; pointAt: string | null };
  rto: { targetSeconds: number | null; achievedSeconds: number | null; estimated: boolean; estimatedSeconds?: number | null; runId: string | null };
  missedSlots24h: number;
  nextRunAt: string | null;
}
export interface SloReport {
  tiers: SloTier[];
  services: SloService[];
  sources: SloSource[];
}
export type SlotState = 'STARTED' | 'MISSED' | 'SKIPPED';
export interface Slot {
  id: string;
  scheduleId: string;
  kind: string;
  slotAt: string;
  state: SlotState;
  reason: string | null;
  runId: string | null;
}
/** `GET /sources/{id}/slots`: a page of slots; `nextBefore` is the cursor of the next (older) page, null on the last. */
export interface SlotPage {
  items: Slot[];
  nextBefore?: string | null;
}
/** `GET /reports/backups?days=`: successful backups (oldest first) and the 24 h / 7 d outcomes. */
export type BackupReport = import('@/server/reports').BackupReport;
export type BackupReportRow = import('@/server/reports').BackupReportRow;
/** A run as listed, with the trigger (`manual`, `schedule`, `catch-up`) where the server sends it. */
export type RunWithTrigger = RunDto & { trigger?: string };

// ---- Issue 8: tiers and services (GET/POST /tiers, /services), source edit and delete ----
/** `GET /tiers`: a named pair of recovery objectives, with how many services are held to it. */
export type Tier = import('@/server/services').TierDto;
/** `GET /services`: a group of sources with its tier's objectives inline. */
export type Service = import('@/server/services').ServiceDto;
/** `DELETE /sources/{id}`: what went with the source. */
export type SourceDeleted = import('@/server/inventory').DeleteSourceResult;
