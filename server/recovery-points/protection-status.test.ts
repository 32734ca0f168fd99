import { describe, expect, it } from 'vitest';
import { computeProtection, type StoredCopyFacts } from './protection-status';

const now = new Date('2026-11-22T12:00:00Z');
const local: StoredCopyFacts = { destinationId: 'a', destinationName: 'local', kind: 'local', offsite: false, immutable: false, ok: true, primary: true };
const s3: StoredCopyFacts = { destinationId: 'b', destinationName: 'eu', kind: 's3', offsite: true, immutable: true, ok: true, primary: false };
const point = (stored: StoredCopyFacts[], extra: { lockedUntil?: Date | null; verifiedAt?: Date | null; verifyError?: string | null } = {}) => ({
  id: 'p',
  createdAt: now,
  lockedUntil: extra.lockedUntil ?? null,
  verifiedAt: extra.verifiedAt === undefined ? now : extra.verifiedAt,
  verifyError: extra.verifyError ?? null,
  stored,
});

describe('computeProtection', () => {
  it('passes 3-2-1-1-0 with a verified local primary and an OK offsite immutable S3 copy', () => {
    const s = computeProtection('src', point([local, s3]), now);
    expect(s).toMatchObject({ copies: 3, media: 2, offsite: true, immutable: true, zeroErrors: true });
    expect(s.rule321110).toEqual({ three: true, two: true, one: true, oneImmutable: true, zero: true, ok: true, reasons: [] });
  });

  it('does not count a copy that is not OK', () => {
    const s = computeProtection('src', point([local, { ...s3, ok: false }]), now);
    expect(s).toMatchObject({ copies: 2, media: 1, offsite: false, immutable: false });
    expect(s.rule321110.ok).toBe(false);
    expect(s.rule321110.reasons).toHaveLength(4);
  });

  it('counts a future retention lock as immutable, an expired one not', () => {
    expect(computeProtection('src', point([local], { lockedUntil: new Date(now.getTime() + 1000) }), now).immutable).toBe(true);
    expect(computeProtection('src', point([local], { lockedUntil: new Date(now.getTime() - 1000) }), now).immutable).toBe(false);
  });

  it('needs a verified point without error for zero errors, and explains why', () => {
    const failed = computeProtection('src', point([local, s3], { verifyError: 'checksum mismatch' }), now);
    expect(failed.rule321110.zero).toBe(false);
    expect(failed.rule321110.reasons).toEqual(['the newest point failed verification: checksum mismatch']);
    expect(computeProtection('src', point([local, s3], { verifiedAt: null }), now).zeroErrors).toBe(false);
  });

  it('a damaged object is an error even while another one keeps the point restorable, named by its destination', () => {
    const copyDamaged = computeProtection('src', point([local, { ...s3, damaged: 'sha256 mismatch' }]), now);
    expect(copyDamaged).toMatchObject({ copies: 3, zeroErrors: false });
    expect(copyDamaged.storedCopies.map((c) => c.damaged)).toEqual([null, 'sha256 mismatch']);
    expect(copyDamaged.rule321110.reasons).toEqual(['copy on destination "eu": sha256 mismatch at the last verification']);
    const primaryDamaged = computeProtection('src', point([{ ...local, damaged: 'missing' }, s3], { verifyError: 'the stored object … is missing' }), now);
    expect(primaryDamaged.rule321110).toMatchObject({ zero: false, reasons: ['primary destination "local": missing at the last verification'] });
    // A pruned primary's old fault no longer counts: the object is gone on purpose.
    const pruned = computeProtection('src', point([{ ...local, ok: false, pruned: true, damaged: 'missing' }, s3]), now);
    expect(pruned.rule321110.zero).toBe(true);
  });

  it('does not count a primary object pruned by retention, and says so', () => {
    const s = computeProtection('src', point([{ ...local, ok: false, pruned: true }, s3]), now);
    expect(s).toMatchObject({ copies: 2, media: 1, offsite: true, immutable: true });
    expect(s.storedCopies.map((c) => c.status)).toEqual(['PRUNED', 'OK']);
    expect(s.rule321110).toMatchObject({ three: false, two: false, one: true, oneImmutable: true });
  });

  it('reports a source without recovery points', () => {
    const s = computeProtection('src', null, now);
    expect(s).toMatchObject({ recoveryPointId: null, copies: 1, media: 0 });
    expect(s.rule321110.reasons[0]).toBe('no recovery point yet');
  });
});
