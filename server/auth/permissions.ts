import { DomainError } from '@/server/shared/errors';

export const ROLES = ['VIEWER', 'OPERATOR', 'APPROVER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | 'inventory:read'
  | 'inventory:write'
  | 'destination:write'
  | 'backup:run'
  | 'restore:request'
  | 'restore:approve'
  | 'run:read'
  | 'run:cancel'
  | 'audit:read'
  | 'token:manage'
  | 'key:manage'
  | 'user:manage'
  | 'metrics:read'
  | 'notification:read'
  | 'notification:write';

// metrics:read is every role's (all roles build on VIEWER): a Prometheus server scrapes with a viewer token, which
// reads aggregate figures only and can change nothing.
const VIEWER: Permission[] = ['inventory:read', 'run:read', 'metrics:read'];
// Operators and approvers see the notification channels (what is told to whom), so they know who hears of a failure.
const OPERATOR: Permission[] = [...VIEWER, 'inventory:write', 'backup:run', 'restore:request', 'run:cancel', 'notification:read'];
// An approver reviews what operators ask for; approving is a separate duty, not a superset of operating.
const APPROVER: Permission[] = [...VIEWER, 'restore:approve', 'audit:read', 'notification:read'];
// Destinations are an admin's alone: a destination decides where workers write and prune on their machines, so
// an operator keeps sources and policies (inventory:write) but cannot aim a worker at a directory of its choosing.
// Notification channels likewise (notification:write): a channel makes workers and the web app send requests and
// mail to an address of its choosing, with what happens in the catalog.
const ADMIN: Permission[] = [
  ...new Set<Permission>([...OPERATOR, ...APPROVER, 'destination:write', 'token:manage', 'key:manage', 'user:manage', 'notification:write']),
];

const BY_ROLE: Record<Role, ReadonlySet<Permission>> = {
  VIEWER: new Set(VIEWER),
  OPERATOR: new Set(OPERATOR),
  APPROVER: new Set(APPROVER),
  ADMIN: new Set(ADMIN),
};

/** Who is acting: a signed-in user, an API token (acting with the token's role) or the system itself. */
export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string | null;
  /** Human-readable, recorded in the audit trail. */
  label: string;
  role: Role;
  /**
   * The person behind the action: the user itself, or the owner of the token (whose id is then `id`); null or
   * absent for the system. Self-approval and "own request" checks compare this, never `id`.
   */
  userId?: string | null;
  /** Web actions: what the audit trail records of the request (set by the route wrapper). */
  request?: { id: string; ip: string | null; userAgent: string | null };
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, label: 'system', role: 'ADMIN' };

export function can(actor: Actor, permission: Permission): boolean {
  return BY_ROLE[actor.role].has(permission);
}

/** What each permission lets a person do, as a refusal says it ("A viewer may not start backups"). */
const DOES: Record<Permission, string> = {
  'inventory:read': 'see the inventory',
  'inventory:write': 'change sources and policies',
  'destination:write': 'change destinations',
  'backup:run': 'start backups',
  'restore:request': 'request restores',
  'restore:approve': 'approve restores',
  'run:read': 'see runs',
  'run:cancel': 'cancel runs',
  'audit:read': 'read the audit trail',
  'token:manage': 'manage API tokens',
  'key:manage': 'manage encryption keys',
  'user:manage': 'manage users',
  'metrics:read': 'read the metrics',
  'notification:read': 'see notification channels',
  'notification:write': 'change notification channels',
};

const A_ROLE: Record<Role, string> = { VIEWER: 'A viewer', OPERATOR: 'An operator', APPROVER: 'An approver', ADMIN: 'An admin' };

/** Called first by every verb; the proxy's check is only a convenience. */
export function authorize(actor: Actor | null | undefined, permission: Permission): asserts actor is Actor {
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in or send an API token');
  if (!can(actor, permission)) {
    throw new DomainError('FORBIDDEN', `${A_ROLE[actor.role]} may not ${DOES[permission]}`);
  }
}
