/**
 * Type-level check that every response schema describes what its verb returns: `tsc` fails here when a verb's
 * answer gains a type the schema does not allow (a field made nullable, a number turned string, a required field
 * the DTO may leave out). Fields the schema does not list are caught at run time instead: the contract test
 * (server/openapi/contract.int.test.ts) validates real answers with every object closed.
 */
import type { z } from 'zod';
import type * as approvals from '@/server/approvals';
import type * as audit from '@/server/audit';
import type * as auth from '@/server/auth';
import type { checkHealth } from '@/server/health/check-health';
import type * as inventory from '@/server/inventory';
import type * as keys from '@/server/keys';
import type * as notifications from '@/server/notifications';
import type * as policies from '@/server/policies';
import type * as points from '@/server/recovery-points';
import type * as reports from '@/server/reports';
import type * as retention from '@/server/retention';
import type * as runs from '@/server/runs';
import type * as services from '@/server/services';
import type * as slo from '@/server/slo';
import type { RestoreRequest, RestoreRequestDecision, RestoreRun } from './approvals';
import type { AnchorResult, AuditAnchor, AuditEvent, ChainReport } from './audit';
import type { Health } from './health';
import type { ApiToken, EncryptionKey, NewApiToken, User } from './identity';
import type { Destination, DestinationListItem, Engine, ProbeResult, Source, SourceDeleted, SourceDetail } from './inventory';
import type { Channel, ChannelDeleted, ChannelListItem, ChannelTestOutcome, ChannelWithSecret, DeliveryPage } from './notifications';
import type { CopyRetention, Policy, PolicyDeleted, PolicyRetention } from './policies';
import type { Protection, RecoveryPoint } from './recovery-points';
import type { LegalHold, PointDeleted, PruneRequested, PruningPlan, RetentionLock } from './retention';
import type { Run, RunDetail, RunLog } from './runs';
import type { Service, ServiceDeleted, Tier } from './services';
import type { BackupReport, SloReport, SlotPage } from './slo';

/** A value as JSON.stringify sends it: dates as strings, `undefined` members left out (optional), no readonly. */
type Jsonify<T> = unknown extends T
  ? T
  : T extends Date
    ? string
    : T extends string | number | boolean | null
      ? T
      : T extends ReadonlyArray<infer U>
        ? Jsonify<U>[]
        : T extends object
          ? { -readonly [K in RequiredKeys<T>]: Jsonify<T[K]> } & { -readonly [K in OptionalKeys<T>]?: Jsonify<Exclude<T[K], undefined>> }
          : T;
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;

type Answer<F extends (...args: never[]) => unknown> = Jsonify<Awaited<ReturnType<F>>>;
type Item<F extends (...args: never[]) => unknown> = Answer<F> extends (infer U)[] ? U : never;

/** Compiles only when `Dto` is assignable to what `Schema` accepts. */
type Fits<Schema extends z.ZodType, Dto extends z.output<Schema>> = [Schema, Dto];

export type ResponseSchemasFitTheVerbs = [
  Fits<typeof Run, Answer<typeof runs.requestBackup>>,
  Fits<typeof Run, Item<typeof runs.listRuns>>,
  Fits<typeof RunDetail, Answer<typeof runs.getRun>>,
  Fits<typeof RunDetail, Answer<typeof runs.cancelRun>>,
  Fits<typeof RunDetail, Answer<typeof runs.stopRunInstance>>,
  Fits<typeof RunLog, Item<typeof runs.listRunLogs>>,
  Fits<typeof Run, Answer<typeof points.requestVerify>>,
  Fits<typeof RecoveryPoint, Answer<typeof points.getRecoveryPoint>>,
  Fits<typeof RecoveryPoint, Item<typeof points.listRecoveryPoints>>,
  Fits<typeof Protection, Answer<typeof points.protectionStatus>>,
  Fits<typeof Source, Item<typeof inventory.listSources>>,
  Fits<typeof Source, Answer<typeof inventory.createSource>>,
  Fits<typeof Source, Answer<typeof inventory.updateSource>>,
  Fits<typeof SourceDetail, Answer<typeof inventory.getSource>>,
  Fits<typeof SourceDeleted, Answer<typeof inventory.deleteSource>>,
  Fits<typeof ProbeResult, Answer<typeof inventory.testSourceConnection>>,
  Fits<typeof Engine, Item<typeof inventory.listEngines>>,
  Fits<typeof DestinationListItem, Item<typeof inventory.listDestinations>>,
  Fits<typeof Destination, Answer<typeof inventory.createDestination>>,
  Fits<typeof Destination, Answer<typeof inventory.updateDestination>>,
  Fits<typeof Policy, Item<typeof policies.listPolicies>>,
  Fits<typeof Policy, Answer<typeof policies.createPolicy>>,
  Fits<typeof Policy, Answer<typeof policies.updatePolicy>>,
  Fits<typeof PolicyDeleted, Answer<typeof policies.deletePolicy>>,
  Fits<typeof PolicyRetention, Answer<typeof retention.setPolicyRetention>>,
  Fits<typeof CopyRetention, Answer<typeof retention.setPolicyCopyRetention>>,
  Fits<typeof PruningPlan, Answer<typeof retention.planSourcePruning>>,
  Fits<typeof PruneRequested, Answer<typeof retention.requestPrune>>,
  Fits<typeof LegalHold, Answer<typeof retention.setLegalHold>>,
  Fits<typeof RetentionLock, Answer<typeof retention.lockRecoveryPoint>>,
  Fits<typeof PointDeleted, Answer<typeof retention.deleteRecoveryPoint>>,
  Fits<typeof Tier, Item<typeof services.listTiers>>,
  Fits<typeof Tier, Answer<typeof services.createTier>>,
  Fits<typeof Tier, Answer<typeof services.updateTier>>,
  Fits<typeof Service, Item<typeof services.listServices>>,
  Fits<typeof Service, Answer<typeof services.createService>>,
  Fits<typeof Service, Answer<typeof services.updateService>>,
  Fits<typeof ServiceDeleted, Answer<typeof services.deleteService>>,
  Fits<typeof ApiToken, Item<typeof auth.listApiTokens>>,
  Fits<typeof ApiToken, Answer<typeof auth.revokeApiToken>>,
  Fits<typeof NewApiToken, Answer<typeof auth.createOwnApiToken>>,
  Fits<typeof User, Item<typeof auth.listUsers>>,
  Fits<typeof User, Answer<typeof auth.createUser>>,
  Fits<typeof User, Answer<typeof auth.updateUser>>,
  Fits<typeof EncryptionKey, Item<typeof keys.listKeys>>,
  Fits<typeof EncryptionKey, Answer<typeof keys.rotateKey>>,
  Fits<typeof EncryptionKey, Answer<typeof keys.shredKey>>,
  Fits<typeof AuditEvent, Item<typeof audit.listAuditEvents>>,
  Fits<typeof AuditAnchor, Item<typeof audit.listAuditAnchors>>,
  Fits<typeof AnchorResult, Answer<typeof audit.anchorAuditHead>>,
  Fits<typeof ChainReport, Answer<typeof audit.verifyAuditTrail>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.createRestoreRequest>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.getRestoreRequest>>,
  Fits<typeof RestoreRequest, Item<typeof approvals.listRestoreRequests>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.updateRestoreRequest>>,
  Fits<typeof RestoreRequestDecision, Answer<typeof approvals.approveRestoreRequest>>,
  Fits<typeof RestoreRequestDecision, Answer<typeof approvals.rejectRestoreRequest>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.cancelRestoreRequest>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.executeRestoreRequest>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.breakGlassRestoreRequest>>,
  Fits<typeof RestoreRequest, Answer<typeof approvals.acknowledgeBreakGlass>>,
  Fits<z.ZodUnion<[typeof RestoreRun, typeof RestoreRequest]>, Answer<typeof approvals.restoreFromPoint>>,
  Fits<typeof ChannelListItem, Item<typeof notifications.listChannels>>,
  Fits<typeof Channel, Answer<typeof notifications.getChannel>>,
  Fits<typeof ChannelWithSecret, Answer<typeof notifications.createChannel>>,
  Fits<typeof ChannelWithSecret, Answer<typeof notifications.updateChannel>>,
  Fits<typeof ChannelDeleted, Answer<typeof notifications.deleteChannel>>,
  Fits<typeof ChannelTestOutcome, Answer<typeof notifications.testChannel>>,
  Fits<typeof DeliveryPage, Answer<typeof notifications.listDeliveries>>,
  Fits<typeof SloReport, Answer<typeof slo.getSlo>>,
  Fits<typeof SlotPage, Answer<typeof slo.listSlots>>,
  Fits<typeof BackupReport, Answer<typeof reports.getBackupReport>>,
  Fits<typeof Health, Answer<typeof checkHealth>>,
];
