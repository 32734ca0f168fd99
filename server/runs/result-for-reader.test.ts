import { describe, expect, it } from 'vitest';
import type { Actor, Role } from '@/server/auth/permissions';
import { runForReader } from './result-for-reader';

const as = (role: Role): Actor => ({ type: 'user', id: `u-${role}`, label: role, role, userId: `u-${role}` });
const scratch = { id: 'r1', result: { address: '127.0.0.1:40001', password: 'pw-of-a-copy-of-production', expiresAt: '2027-01-01T00:00:00.000Z' } };

describe('runForReader', () => {
  it('hides a restore result password from those who may not request restores (a viewer), keeping the address', () => {
    expect(runForReader(as('VIEWER'), scratch).result).toEqual({ address: '127.0.0.1:40001', password: null, passwordHidden: true, expiresAt: '2027-01-01T00:00:00.000Z' });
    expect(JSON.stringify(runForReader(as('VIEWER'), scratch))).not.toContain('pw-of-a-copy');
  });
  it('shows it to operators and admins, and leaves results without a password alone', () => {
    expect(runForReader(as('OPERATOR'), scratch)).toBe(scratch);
    expect(runForReader(as('ADMIN'), scratch)).toBe(scratch);
    const plain = { result: { database: 'x' } };
    expect(runForReader(as('VIEWER'), plain)).toBe(plain);
    expect(runForReader(as('VIEWER'), { result: null })).toEqual({ result: null });
  });
});
