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
  it('throws coded errors', () => {
    expect(() => authorize(null, 'run:read')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => authorize(actor('VIEWER'), 'token:manage')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
