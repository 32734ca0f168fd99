import { describe, expect, it } from 'vitest';
import { authorize, can, type Actor } from './permissions';

const actor = (role: Actor['role']): Actor => ({ type: 'user', id: 'u', label: 'u', role });

describe('permissions', () => {
  it('lets viewers read but not change', () => {
    expect(can(actor('VIEWER'), 'inventory:read')).toBe(true);
    expect(can(actor('VIEWER'), 'backup:run')).toBe(false);
  });
  it('keeps approving apart from operating', () => {
    expect(can(actor('OPERATOR'), 'restore:approve')).toBe(false);
    expect(can(actor('APPROVER'), 'backup:run')).toBe(false);
    expect(can(actor('ADMIN'), 'restore:approve')).toBe(true);
  });
  it('keeps destinations to admins: operators manage sources and policies only', () => {
    expect(can(actor('OPERATOR'), 'inventory:write')).toBe(true);
    for (const role of ['VIEWER', 'OPERATOR', 'APPROVER'] as const) expect(can(actor(role), 'destination:write')).toBe(false);
    expect(can(actor('ADMIN'), 'destination:write')).toBe(true);
  });
  it('words a refusal for people, keeping the code FORBIDDEN (issue 8: "Role viewer may not backup run")', () => {
    expect(() => authorize(actor('VIEWER'), 'backup:run')).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: 'A viewer may not start backups' }));
    expect(() => authorize(actor('OPERATOR'), 'destination:write')).toThrow(expect.objectContaining({ message: 'An operator may not change destinations' }));
    expect(() => authorize(actor('APPROVER'), 'key:manage')).toThrow(expect.objectContaining({ message: 'An approver may not manage encryption keys' }));
  });
  it('throws coded errors', () => {
    expect(() => authorize(null, 'run:read')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => authorize(actor('VIEWER'), 'token:manage')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
