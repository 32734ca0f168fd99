import { describe, expect, it } from 'vitest';
import { DomainError } from '@/server/shared/errors';
import { assertPolicyFitsEngine, PolicySchedules, storedSchedules } from './schedules';

const paths = (raw: unknown) => {
  const r = PolicySchedules.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('PolicySchedules', () => {
  it('fills in ids, backup type and zone; keeps given ids; canonical zone names', () => {
    const parsed = PolicySchedules.parse([
      { kind: 'backup', cron: ' 0 3 * * 0 ' },
      { id: 'nightly-verify', kind: 'verify', cron: '0 5 * * *', timezone: 'europe/berlin', window: { start: '22:00', end: '06:00' } },
    ]);
    expect(parsed[0]).toMatchObject({ kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone: 'UTC' });
    expect(parsed[0]).not.toHaveProperty('window');
    expect(parsed[1]).toEqual({ id: 'nightly-verify', kind: 'verify', cron: '0 5 * * *', timezone: 'Europe/Berlin', window: { start: '22:00', end: '06:00' } });
  });

  it('names the field of every refusal', () => {
    expect(paths([{ kind: 'backup', cron: '0 3 * * 0', extra: 1 }])).toEqual(['0']);
    expect(paths([{ kind: 'backup', cron: '' }])).toEqual(['0.cron']);
    expect(paths([{ kind: 'backup', cron: '? * * * *' }])).toEqual(['0.cron']);
    expect(paths([{ kind: 'backup', cron: '0 3 * * 0', timezone: 'Mars/Olympus' }])).toEqual(['0.timezone']);
    expect(paths([{ kind: 'backup', cron: '0 3 * * *', window: { start: '3:00', end: '05:00' } }])).toEqual(['0.window.start']);
    expect(paths([{ kind: 'backup', cron: '0 3 * * *', window: { start: '05:00', end: '05:00' } }])).toEqual(['0.window.end']);
    expect(paths([{ id: 'bad id!', kind: 'backup', cron: '0 3 * * *' }])).toEqual(['0.id']);
    expect(paths(Array.from({ length: 21 }, () => ({ kind: 'prune', cron: '0 4 * * *' })))).toEqual(['']);
    expect(paths([{ kind: 'backup', cron: '* * * * *' }])).toEqual([]); // once a minute is the fastest allowed
  });

  it('reads stored rows leniently: one unreadable entry does not hide the others', () => {
    expect(storedSchedules([{ id: 'a', kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone: 'UTC' }, { nope: 1 }])).toHaveLength(1);
    expect(storedSchedules(null)).toEqual([]);
  });
});

describe('assertPolicyFitsEngine', () => {
  it('refuses a backup type the engine lacks, naming the field and the engine', () => {
    const schedules = PolicySchedules.parse([
      { kind: 'backup', cron: '0 3 * * 0' },
      { kind: 'backup', backupType: 'incremental', cron: '0 * * * *' },
      { kind: 'verify', cron: '0 5 * * *' },
    ]);
    let error: unknown;
    try {
      assertPolicyFitsEngine(schedules, 'postgres');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('VALIDATION');
    expect((error as DomainError).message).toBe('schedules.1.backupType: postgres (PostgreSQL) offers only full, not incremental');
    expect((error as DomainError).details).toEqual({ issues: [{ path: ['schedules', '1', 'backupType'], message: 'postgres (PostgreSQL) offers only full, not incremental' }] });
    expect(() => assertPolicyFitsEngine([schedules[0]!, schedules[2]!], 'postgres')).not.toThrow();
  });
});
