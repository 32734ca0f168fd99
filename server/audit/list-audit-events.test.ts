import { describe, expect, it } from 'vitest';
import { ListAuditEventsInput } from './list-audit-events';

describe('ListAuditEventsInput', () => {
  // Issue 7: `GET /api/v1/audit?before=99999999999999999999999999` reached PostgreSQL as a bigint out of range (500).
  it('refuses a `before` outside a positive bigint id', () => {
    for (const before of ['99999999999999999999999999', '9223372036854775808', '-1', '0', '-99999999999999999999999999']) {
      expect(ListAuditEventsInput.safeParse({ before }).success, before).toBe(false);
    }
    expect(ListAuditEventsInput.parse({ before: '9223372036854775807' }).before).toBe(9223372036854775807n);
    expect(ListAuditEventsInput.parse({ before: '12' }).before).toBe(12n);
  });

  it('refuses unparseable numbers as validation issues, not exceptions', () => {
    for (const raw of [{ before: '1.5' }, { before: 'NaN' }, { limit: 'NaN' }, { limit: '1e309' }, { before: '0x10' }]) {
      expect(ListAuditEventsInput.safeParse(raw).success, JSON.stringify(raw)).toBe(false);
    }
  });

  it('bounds the target filters', () => {
    expect(ListAuditEventsInput.safeParse({ targetId: 'x'.repeat(10_000) }).success).toBe(false);
    expect(ListAuditEventsInput.safeParse({ targetType: 'x'.repeat(10_000) }).success).toBe(false);
  });

  it('takes the export\'s filters: actor, action, target, time', () => {
    const parsed = ListAuditEventsInput.parse({ actor: 'ops@', action: 'audit.anchor', from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z', limit: '10' });
    expect(parsed).toMatchObject({ actor: 'ops@', action: 'audit.anchor', limit: 10 });
    expect(ListAuditEventsInput.safeParse({ action: 'source.drop' }).success).toBe(false);
    expect(ListAuditEventsInput.safeParse({ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }).success).toBe(false);
  });
});
