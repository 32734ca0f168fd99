// Response shapes of /api/v1, taken from the server's DTOs (type-only imports: nothing of server/ is bundled).
import type { listApiTokens, createApiToken, Role } from '@/server/auth';
import type { DestinationDto, SourceDto } from '@/server/inventory';
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
/** `GET /destinations`: never the secrets, only which secret settings are stored. */
export type Destination = DestinationDto;
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
