import type { ZodType } from 'zod';
import { UpdateRestoreRequestInput, BreakGlassInput, CreateRestoreRequestInput, DecideInput, ListRestoreRequestsInput, RestoreFromPointInput } from '@/server/approvals/inputs';
import { ListAuditEventsInput } from '@/server/audit/list-audit-events';
import { ExportAuditEventsInput } from '@/server/audit-export/export-audit-events';
import { CreateApiTokenInput } from '@/server/auth/api-tokens';
import { UpdateUserInput } from '@/server/auth/manage-users';
import type { Permission } from '@/server/auth/permissions';
import { CreateUserInput } from '@/server/auth/users';
import { pageQuerySchema } from '@/server/http/pagination';
import { CreateDestinationInput } from '@/server/inventory/create-destination';
import { DeleteSourceOptions } from '@/server/inventory/delete-source';
import { CreateSourceInput } from '@/server/inventory/source-input';
import { TestSourceConnectionInput } from '@/server/inventory/test-source-connection';
import { UpdateDestinationInput } from '@/server/inventory/update-destination';
import { UpdateSourceInput } from '@/server/inventory/update-source';
import { ExportRecoveryKitInput, ShredKeyInput } from '@/server/keys/manage-keys';
import { CreateChannelInput, UpdateChannelInput } from '@/server/notifications/channel-input';
import { ListDeliveriesQuery } from '@/server/notifications/list-deliveries';
import { CreatePolicyInput } from '@/server/policies/create-policy';
import { UpdatePolicyInput } from '@/server/policies/update-policy';
import { GetBackupReportInput } from '@/server/reports/get-backup-report';
import { RetentionPolicy } from '@/server/retention/retention-policy';
import { LockRecoveryPointInput } from '@/server/retention/set-retention-lock';
import { SetLegalHoldInput } from '@/server/retention/set-legal-hold';
import { ListRunsInput } from '@/server/runs/list-runs';
import { CreateServiceInput, CreateTierInput, UpdateServiceInput, UpdateTierInput } from '@/server/services/inputs';
import { ListSlotsInput } from '@/server/slo/list-slots';
import { z } from './zod';
import { RestoreRequest, RestoreRequestDecision, RestoreRun } from './schemas/approvals';
import { AnchorResult, AuditAnchor, AuditEvent, ChainReport } from './schemas/audit';
import { paged, Uuid } from './schemas/common';
import { Health } from './schemas/health';
import { ApiToken, EncryptionKey, NewApiToken, User } from './schemas/identity';
import { Destination, DestinationListItem, Engine, ProbeResult, Source, SourceDeleted, SourceDetail } from './schemas/inventory';
import { Channel, ChannelDeleted, ChannelListItem, ChannelTestOutcome, ChannelWithSecret, DeliveryPage } from './schemas/notifications';
import { CopyRetention, Policy, PolicyDeleted, PolicyRetention } from './schemas/policies';
import { Protection, RecoveryPoint } from './schemas/recovery-points';
import { LegalHold, PointDeleted, PruneRequested, PruningPlan, RetentionLock } from './schemas/retention';
import { Run, RunDetail, RunLog } from './schemas/runs';
import { Service, ServiceDeleted, Tier } from './schemas/services';
import { BackupReport, SloReport, SlotPage } from './schemas/slo';

/** A schema of a verb (request side), with the component name it is documented under. */
export interface Named {
  name: string;
  schema: ZodType;
}
const named = (name: string, schema: ZodType): Named => ({ name, schema });

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Answer {
  status: number;
  description: string;
  /** JSON body; absent with `media`. */
  schema?: ZodType;
  /** Other media types than JSON: media type → schema (a string, a binary). */
  media?: Record<string, ZodType>;
}

/** One documented operation: what server/openapi/document.ts registers, and what the contract test calls. */
export interface Operation {
  method: Method;
  /** Below /api/v1, with `{param}`s: `/sources/{id}/backups`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The permission the verb checks; null: any signed-in caller (the verb decides further). */
  permission: Permission | null;
  /** `public`: no credentials (health, this document); `session`: a signed-in browser session only. */
  auth?: 'public' | 'session';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Named;
  /** The body may be left out (`{}`). */
  bodyOptional?: boolean;
  ok: Answer[];
  /** Statuses besides the ones every operation of its kind has (document.ts, `errorsOf`). */
  errors?: number[];
  /** Paged list: `{ items, nextCursor }` with `limit`/`cursor` (server/http/pagination.ts). */
  paged?: boolean;
}

const Id = z.object({ id: Uuid });
const Page = pageQuerySchema();
const intersectionShape = (s: ZodType) => {
  const def = (s as unknown as { def: { left: z.ZodObject; right: z.ZodObject } }).def;
  return { ...def.left.shape, ...def.right.shape };
};
const json = (status: number, schema: ZodType, description: string): Answer => ({ status, schema, description });

const Kinds = {
  sources: 'Sources',
  destinations: 'Destinations',
  policies: 'Policies and retention',
  points: 'Recovery points',
  runs: 'Runs',
  restores: 'Restore requests',
  services: 'Tiers and services',
  slo: 'SLOs and reports',
  audit: 'Audit',
  keys: 'Encryption keys',
  identity: 'Tokens and users',
  notifications: 'Notifications',
  meta: 'Meta',
} as const;

/** Every operation of /api/v1. A test checks that every method of every route file is here, and nothing else. */
export const OPERATIONS: Operation[] = [
  // ---- meta ----
  { method: 'get', path: '/health', tag: Kinds.meta, summary: 'Liveness of the catalog and the queue', permission: null, auth: 'public', ok: [json(200, Health, 'Up'), json(503, Health, 'Degraded: a check is down')] },
  {
    method: 'get',
    path: '/openapi.json',
    tag: Kinds.meta,
    summary: 'This document (OpenAPI 3.1)',
    permission: null,
    auth: 'public',
    ok: [json(200, z.record(z.string(), z.unknown()), 'The OpenAPI document')],
  },
  { method: 'get', path: '/engines', tag: Kinds.sources, summary: 'Registered engines: forms, backup types, restore modes', permission: 'inventory:read', query: Page, paged: true, ok: [json(200, paged(Engine), 'The engines')] },

  // ---- sources ----
  { method: 'get', path: '/sources', tag: Kinds.sources, summary: 'List sources', permission: 'inventory:read', query: Page, paged: true, ok: [json(200, paged(Source), 'Sources by name')] },
  {
    method: 'post',
    path: '/sources',
    tag: Kinds.sources,
    summary: 'Add a source',
    description: '`config.password` is sealed and never returned; `testConnection` (default true) probes first (422 `CONNECTION_FAILED`).',
    permission: 'inventory:write',
    body: named('CreateSourceInput', CreateSourceInput),
    ok: [json(201, Source, 'The source')],
    errors: [409],
  },
  { method: 'post', path: '/sources/test-connection', tag: Kinds.sources, summary: 'Probe a connection without saving', permission: 'inventory:write', body: named('TestSourceConnectionInput', TestSourceConnectionInput), ok: [json(200, ProbeResult, 'The outcome (ok or not)')] },
  { method: 'get', path: '/sources/{id}', tag: Kinds.sources, summary: 'One source with its policy and SLO', permission: 'inventory:read', params: Id, ok: [json(200, SourceDetail, 'The source')] },
  { method: 'patch', path: '/sources/{id}', tag: Kinds.sources, summary: 'Rename, attach a policy or service', permission: 'inventory:write', params: Id, body: named('UpdateSourceInput', UpdateSourceInput), ok: [json(200, Source, 'The source')], errors: [409] },
  {
    method: 'delete',
    path: '/sources/{id}',
    tag: Kinds.sources,
    summary: 'Delete a source (and, with keepPoints=false and confirm=<name>, its points)',
    permission: 'inventory:write',
    params: Id,
    query: DeleteSourceOptions,
    ok: [json(200, SourceDeleted, 'What was deleted')],
    errors: [409],
  },
  { method: 'post', path: '/sources/{id}/backups', tag: Kinds.runs, summary: 'Back up now', permission: 'backup:run', params: Id, ok: [json(202, Run, 'The queued run')], errors: [409] },
  { method: 'get', path: '/sources/{id}/recovery-points', tag: Kinds.points, summary: "A source's recovery points, newest first", permission: 'inventory:read', params: Id, query: Page, paged: true, ok: [json(200, paged(RecoveryPoint), 'The points')] },
  { method: 'get', path: '/sources/{id}/protection', tag: Kinds.points, summary: '3-2-1-1-0 status of the newest point', permission: 'inventory:read', params: Id, ok: [json(200, Protection, 'The status')] },
  { method: 'get', path: '/sources/{id}/pruning-plan', tag: Kinds.policies, summary: 'Retention dry run', permission: 'inventory:read', params: Id, ok: [json(200, PruningPlan, 'What a prune would do now')] },
  { method: 'post', path: '/sources/{id}/prune', tag: Kinds.policies, summary: 'Prune now (a retention.prune job)', permission: 'inventory:write', params: Id, ok: [json(202, PruneRequested, 'Queued')], errors: [409] },
  {
    method: 'get',
    path: '/sources/{id}/slots',
    tag: Kinds.slo,
    summary: "A source's schedule slots, newest first",
    permission: 'inventory:read',
    params: Id,
    query: z.object({ ...ListSlotsInput.shape, cursor: Page.shape.cursor }),
    paged: true,
    ok: [json(200, z.object({ ...SlotPage.shape, nextCursor: z.string().nullable() }), 'A page of slots')],
  },

  // ---- destinations ----
  { method: 'get', path: '/destinations', tag: Kinds.destinations, summary: 'List destinations with their usage', permission: 'inventory:read', query: Page, paged: true, ok: [json(200, paged(DestinationListItem), 'Destinations by name')] },
  { method: 'post', path: '/destinations', tag: Kinds.destinations, summary: 'Add a destination', permission: 'destination:write', body: named('CreateDestinationInput', CreateDestinationInput), ok: [json(201, Destination, 'The destination')], errors: [409] },
  { method: 'patch', path: '/destinations/{id}', tag: Kinds.destinations, summary: 'Change a destination', permission: 'destination:write', params: Id, body: named('UpdateDestinationInput', UpdateDestinationInput), ok: [json(200, Destination, 'The destination')], errors: [409] },

  // ---- policies and retention ----
  { method: 'get', path: '/policies', tag: Kinds.policies, summary: 'List policies', permission: 'inventory:read', query: Page, paged: true, ok: [json(200, paged(Policy), 'Policies by name')] },
  { method: 'post', path: '/policies', tag: Kinds.policies, summary: 'Create a policy', permission: 'inventory:write', body: named('CreatePolicyInput', CreatePolicyInput), ok: [json(201, Policy, 'The policy')], errors: [409] },
  { method: 'patch', path: '/policies/{id}', tag: Kinds.policies, summary: 'Change a policy', permission: 'inventory:write', params: Id, body: named('UpdatePolicyInput', UpdatePolicyInput), ok: [json(200, Policy, 'The policy')], errors: [409] },
  { method: 'delete', path: '/policies/{id}', tag: Kinds.policies, summary: 'Delete an unused policy', permission: 'inventory:write', params: Id, ok: [json(200, PolicyDeleted, 'Deleted')], errors: [409] },
  {
    method: 'put',
    path: '/policies/{id}/retention',
    tag: Kinds.policies,
    summary: "Set (or with null clear) a policy's retention",
    permission: 'inventory:write',
    params: Id,
    body: named('RetentionPolicyInput', RetentionPolicy.nullable()),
    ok: [json(200, PolicyRetention, 'The stored rules')],
  },
  {
    method: 'put',
    path: '/policies/{id}/copies/{destinationId}/retention',
    tag: Kinds.policies,
    summary: "Set (or with null clear) a copy destination's own retention",
    permission: 'inventory:write',
    params: z.object({ id: Uuid, destinationId: Uuid }),
    body: named('RetentionPolicyInput', RetentionPolicy.nullable()),
    ok: [json(200, CopyRetention, 'The stored rules')],
  },

  // ---- recovery points ----
  { method: 'get', path: '/recovery-points/{id}', tag: Kinds.points, summary: 'One recovery point', permission: 'inventory:read', params: Id, ok: [json(200, RecoveryPoint, 'The point')] },
  { method: 'delete', path: '/recovery-points/{id}', tag: Kinds.points, summary: 'Delete a point and its objects', permission: 'inventory:write', params: Id, ok: [json(200, PointDeleted, 'Deleted')], errors: [409] },
  { method: 'post', path: '/recovery-points/{id}/verify', tag: Kinds.points, summary: 'Verify a point (a VERIFY run)', permission: 'backup:run', params: Id, ok: [json(202, Run, 'The queued run')], errors: [409] },
  { method: 'post', path: '/recovery-points/{id}/hold', tag: Kinds.points, summary: 'Set or lift a legal hold', permission: 'restore:approve', params: Id, body: named('SetLegalHoldInput', SetLegalHoldInput), ok: [json(200, LegalHold, 'The hold')] },
  { method: 'post', path: '/recovery-points/{id}/lock', tag: Kinds.points, summary: 'Lock a point until a date (cannot be undone)', permission: 'restore:approve', params: Id, body: named('LockRecoveryPointInput', LockRecoveryPointInput), ok: [json(200, RetentionLock, 'The lock')], errors: [409] },
  {
    method: 'post',
    path: '/recovery-points/{id}/restores',
    tag: Kinds.restores,
    summary: 'Restore a point (a restore request; runs at once when no approval is needed)',
    permission: 'restore:request',
    params: Id,
    body: named('RestoreFromPointInput', RestoreFromPointInput),
    ok: [json(202, z.union([RestoreRun, RestoreRequest]), 'The queued run with its request, or the request waiting for approval')],
    errors: [409],
  },
  {
    method: 'get',
    path: '/recovery-points/{id}/objects/{role}/content',
    tag: Kinds.points,
    summary: 'Download one object of a point, decoded and verified',
    permission: 'restore:request',
    params: z.object({ id: Uuid, role: z.string().openapi({ example: 'data' }) }),
    ok: [{ status: 200, description: 'The decoded object (an attachment)', media: { 'application/octet-stream': z.string().openapi({ format: 'binary' }) } }],
    errors: [409, 502],
  },

  // ---- runs ----
  {
    method: 'get',
    path: '/runs',
    tag: Kinds.runs,
    summary: 'List runs, newest first',
    description: '50 a page (`limit` up to 200); page on with `cursor` = `nextCursor`. `before` (an ISO time) still works, but not together with `cursor`.',
    permission: 'run:read',
    query: z.object({ ...ListRunsInput.omit({ limit: true }).shape, ...Page.shape }),
    paged: true,
    ok: [json(200, paged(Run), 'A page of runs')],
  },
  { method: 'get', path: '/runs/{id}', tag: Kinds.runs, summary: 'One run', permission: 'run:read', params: Id, ok: [json(200, RunDetail, 'The run')] },
  { method: 'get', path: '/runs/{id}/logs', tag: Kinds.runs, summary: "A run's log, oldest first", permission: 'run:read', params: Id, query: Page, paged: true, ok: [json(200, paged(RunLog), 'Log lines')] },
  {
    method: 'get',
    path: '/runs/{id}/events',
    tag: Kinds.runs,
    summary: 'Progress events (server-sent events) until the run ends',
    permission: 'run:read',
    params: Id,
    ok: [{ status: 200, description: '`event: progress` messages', media: { 'text/event-stream': z.string() } }],
  },
  { method: 'post', path: '/runs/{id}/cancel', tag: Kinds.runs, summary: 'Cancel a run', permission: 'run:cancel', params: Id, ok: [json(202, RunDetail, 'CANCELLED, or RUNNING with cancelRequested')], errors: [409] },
  {
    method: 'post',
    path: '/runs/{id}/stop',
    tag: Kinds.runs,
    summary: 'Stop the scratch instance a restore run started',
    description: '409 `INVALID_STATE` (`details.reason: NOTHING_TO_STOP`) when the run has nothing running.',
    permission: 'restore:request',
    params: Id,
    ok: [json(200, RunDetail, 'The run')],
    errors: [409],
  },

  // ---- restore requests ----
  {
    method: 'get',
    path: '/restore-requests',
    tag: Kinds.restores,
    summary: 'List restore requests, newest first',
    description: '`limit` 1–500 (100), as before pagination; later pages reach the newest 500 matching requests.',
    permission: 'run:read',
    query: z.object({ ...ListRestoreRequestsInput.omit({ limit: true }).shape, ...pageQuerySchema({ defaultLimit: 100, maxLimit: 500 }).shape }),
    paged: true,
    ok: [json(200, paged(RestoreRequest), 'A page of requests')],
  },
  { method: 'post', path: '/restore-requests', tag: Kinds.restores, summary: 'Request a restore', permission: 'restore:request', body: named('CreateRestoreRequestInput', CreateRestoreRequestInput), ok: [json(201, RestoreRequest, 'The request (EXECUTED with runId when no approval is needed)')], errors: [409] },
  { method: 'get', path: '/restore-requests/{id}', tag: Kinds.restores, summary: 'One restore request', permission: 'run:read', params: Id, ok: [json(200, RestoreRequest, 'The request')] },
  { method: 'patch', path: '/restore-requests/{id}', tag: Kinds.restores, summary: 'Edit a waiting request (voids approvals of a changed point, target or mode)', permission: 'restore:request', params: Id, body: named('UpdateRestoreRequestInput', UpdateRestoreRequestInput), ok: [json(200, RestoreRequest, 'The request')], errors: [409] },
  { method: 'post', path: '/restore-requests/{id}/approve', tag: Kinds.restores, summary: 'Approve', permission: 'restore:approve', params: Id, body: named('DecideInput', DecideInput), bodyOptional: true, ok: [json(200, RestoreRequestDecision, 'The request (EXECUTED when this approval completed the rule)')], errors: [409] },
  { method: 'post', path: '/restore-requests/{id}/reject', tag: Kinds.restores, summary: 'Reject', permission: 'restore:approve', params: Id, body: named('DecideInput', DecideInput), bodyOptional: true, ok: [json(200, RestoreRequestDecision, 'The request (REJECTED)')], errors: [409] },
  { method: 'post', path: '/restore-requests/{id}/cancel', tag: Kinds.restores, summary: 'Cancel (the requester or an admin)', permission: 'run:read', params: Id, ok: [json(200, RestoreRequest, 'The request (CANCELLED)')], errors: [409] },
  { method: 'post', path: '/restore-requests/{id}/execute', tag: Kinds.restores, summary: 'Execute an APPROVED request', permission: 'restore:request', params: Id, ok: [json(200, RestoreRequest, 'The request (EXECUTED)')], errors: [409] },
  { method: 'post', path: '/restore-requests/{id}/break-glass', tag: Kinds.restores, summary: 'Run without approvals (admins), flagged until acknowledged', permission: 'restore:request', params: Id, body: named('BreakGlassInput', BreakGlassInput), ok: [json(200, RestoreRequest, 'The request (EXECUTED, breakGlass)')], errors: [409] },
  { method: 'post', path: '/restore-requests/{id}/acknowledge', tag: Kinds.restores, summary: 'Acknowledge a break-glass restore', permission: 'restore:approve', params: Id, ok: [json(200, RestoreRequest, 'The request (breakGlassAcknowledged)')], errors: [409] },

  // ---- tiers, services, SLOs, reports ----
  { method: 'get', path: '/tiers', tag: Kinds.services, summary: 'List tiers, tightest first', permission: 'inventory:read', query: Page, paged: true, ok: [json(200, paged(Tier), 'Tiers')] },
  { method: 'post', path: '/tiers', tag: Kinds.services, summary: 'Create a tier', permission: 'inventory:write', body: named('CreateTierInput', CreateTierInput), ok: [json(201, Tier, 'The tier')], errors: [409] },
  { method: 'patch', path: '/tiers/{id}', tag: Kinds.services, summary: 'Change a tier', permission: 'inventory:write', params: Id, body: named('UpdateTierInput', UpdateTierInput), ok: [json(200, Tier, 'The tier')], errors: [409] },
  { method: 'get', path: '/services', tag: Kinds.services, summary: 'List services', permission: 'inventory:read', query: Page, paged: true, ok: [json(200, paged(Service), 'Services by name')] },
  { method: 'post', path: '/services', tag: Kinds.services, summary: 'Create a service', permission: 'inventory:write', body: named('CreateServiceInput', CreateServiceInput), ok: [json(201, Service, 'The service')], errors: [409] },
  { method: 'patch', path: '/services/{id}', tag: Kinds.services, summary: 'Change a service', permission: 'inventory:write', params: Id, body: named('UpdateServiceInput', UpdateServiceInput), ok: [json(200, Service, 'The service')], errors: [409] },
  { method: 'delete', path: '/services/{id}', tag: Kinds.services, summary: 'Delete a service (its sources stay)', permission: 'inventory:write', params: Id, ok: [json(200, ServiceDeleted, 'Deleted')] },
  { method: 'get', path: '/slo', tag: Kinds.slo, summary: 'Achieved RPO/RTO against the tier targets', permission: 'inventory:read', ok: [json(200, SloReport, 'The figures')] },
  { method: 'get', path: '/reports/backups', tag: Kinds.slo, summary: 'Successful backups of the last days (a report, not paged: at most 5,000)', permission: 'run:read', query: GetBackupReportInput, ok: [json(200, BackupReport, 'The report')] },

  // ---- audit ----
  {
    method: 'get',
    path: '/audit',
    tag: Kinds.audit,
    summary: 'Audit events, newest first',
    description: '50 a page (`limit` up to 200); page on with `cursor`. `before` (an event id) still works, but not together with `cursor`.',
    permission: 'audit:read',
    query: z.object({ ...intersectionShape(ListAuditEventsInput), ...Page.shape }),
    paged: true,
    ok: [json(200, paged(AuditEvent), 'A page of events')],
  },
  { method: 'get', path: '/audit/verify', tag: Kinds.audit, summary: 'Verify the hash chain and the newest anchor', permission: 'audit:read', ok: [json(200, ChainReport, 'The report, whether or not the chain verifies')] },
  {
    method: 'get',
    path: '/audit/export',
    tag: Kinds.audit,
    summary: 'Download the matching events (streamed, oldest first)',
    permission: 'audit:read',
    query: z.object(intersectionShape(ExportAuditEventsInput)),
    ok: [
      {
        status: 200,
        description: 'An attachment in the asked format',
        media: { 'text/csv': z.string(), 'application/json': z.array(AuditEvent), 'application/x-ndjson': z.string() },
      },
    ],
  },
  { method: 'get', path: '/audit/anchors', tag: Kinds.audit, summary: 'Anchor writes, newest first', permission: 'audit:read', query: Page, paged: true, ok: [json(200, paged(AuditAnchor), 'A page of anchor writes')] },
  { method: 'post', path: '/audit/anchors', tag: Kinds.audit, summary: 'Anchor the chain head on every destination now', permission: 'destination:write', ok: [json(201, AnchorResult, 'What was written where')], errors: [409] },

  // ---- keys ----
  { method: 'get', path: '/keys', tag: Kinds.keys, summary: 'List encryption keys (public recipients only)', permission: 'key:manage', query: Page, paged: true, ok: [json(200, paged(EncryptionKey), 'Keys, newest first')] },
  { method: 'post', path: '/keys/rotate', tag: Kinds.keys, summary: 'Make a new active key', permission: 'key:manage', ok: [json(201, EncryptionKey, 'The new key')] },
  { method: 'post', path: '/keys/{id}/shred', tag: Kinds.keys, summary: 'Destroy a key (its points become unreadable)', permission: 'key:manage', params: Id, body: named('ShredKeyInput', ShredKeyInput), ok: [json(200, EncryptionKey, 'The shredded key')], errors: [409] },
  {
    method: 'post',
    path: '/keys/recovery-kit',
    tag: Kinds.keys,
    summary: 'Export the recovery kit (identities and restore instructions)',
    description: 'A signed-in session only, with the password again: 403 `SESSION_REQUIRED` with an API token.',
    permission: 'key:manage',
    auth: 'session',
    body: named('ExportRecoveryKitInput', ExportRecoveryKitInput),
    ok: [{ status: 200, description: 'The kit as a text attachment', media: { 'text/plain': z.string() } }],
  },

  // ---- tokens and users ----
  { method: 'get', path: '/tokens', tag: Kinds.identity, summary: 'List API tokens (never the secret)', permission: 'token:manage', query: Page, paged: true, ok: [json(200, paged(ApiToken), 'Tokens, newest first')] },
  { method: 'post', path: '/tokens', tag: Kinds.identity, summary: 'Create an API token for yourself (signed-in admin)', permission: 'token:manage', body: named('CreateApiTokenInput', CreateApiTokenInput), ok: [json(201, NewApiToken, 'The token, shown once')] },
  { method: 'delete', path: '/tokens/{id}', tag: Kinds.identity, summary: 'Revoke a token (idempotent)', permission: 'token:manage', params: Id, ok: [json(200, ApiToken, 'The token with revokedAt')] },
  { method: 'get', path: '/users', tag: Kinds.identity, summary: 'List users', permission: 'user:manage', query: Page, paged: true, ok: [json(200, paged(User), 'Users: enabled first, by email')] },
  { method: 'post', path: '/users', tag: Kinds.identity, summary: 'Create a user', permission: 'user:manage', body: named('CreateUserInput', CreateUserInput), ok: [json(201, User, 'The user')], errors: [409] },
  { method: 'patch', path: '/users/{id}', tag: Kinds.identity, summary: 'Change role, name or disabled', permission: 'user:manage', params: Id, body: named('UpdateUserInput', UpdateUserInput), ok: [json(200, User, 'The user')], errors: [409] },

  // ---- notifications ----
  { method: 'get', path: '/notification-channels', tag: Kinds.notifications, summary: 'List channels', permission: 'notification:read', query: Page, paged: true, ok: [json(200, paged(ChannelListItem), 'Channels by name')] },
  { method: 'post', path: '/notification-channels', tag: Kinds.notifications, summary: 'Create a channel', permission: 'notification:write', body: named('CreateChannelInput', CreateChannelInput), ok: [json(201, ChannelWithSecret, 'The channel (a webhook: with its signingSecret, this once)')], errors: [409] },
  { method: 'get', path: '/notification-channels/{id}', tag: Kinds.notifications, summary: 'One channel', permission: 'notification:read', params: Id, ok: [json(200, Channel, 'The channel')] },
  { method: 'patch', path: '/notification-channels/{id}', tag: Kinds.notifications, summary: 'Change a channel', permission: 'notification:write', params: Id, body: named('UpdateChannelInput', UpdateChannelInput), ok: [json(200, ChannelWithSecret, 'The channel (with the new signingSecret when rotated)')], errors: [409] },
  { method: 'delete', path: '/notification-channels/{id}', tag: Kinds.notifications, summary: 'Delete a channel and its deliveries', permission: 'notification:write', params: Id, ok: [json(200, ChannelDeleted, 'Deleted')] },
  { method: 'post', path: '/notification-channels/{id}/test', tag: Kinds.notifications, summary: 'Send a test message now', permission: 'notification:write', params: Id, ok: [json(200, ChannelTestOutcome, 'The outcome (a refusal is ok: false, not an error)')] },
  {
    method: 'get',
    path: '/notification-channels/{id}/deliveries',
    tag: Kinds.notifications,
    summary: "A channel's delivery log, newest first (pages with cursor/nextCursor, or the older before/nextBefore)",
    permission: 'notification:read',
    params: Id,
    query: z.object({ ...ListDeliveriesQuery.shape, cursor: Page.shape.cursor }),
    paged: true,
    ok: [json(200, z.object({ ...DeliveryPage.shape, nextCursor: z.string().nullable() }), 'A page of deliveries')],
  },
];
