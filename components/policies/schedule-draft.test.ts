import { describe, expect, it } from 'vitest';
import { bodyOf, draftOf, issuesByRow, newDraft, previewOf } from './schedule-draft';

describe('schedule drafts', () => {
  it('round-trips a stored schedule, keeping its id, and leaves the id out for a new row', () => {
    const stored = { id: 's-1', kind: 'backup' as const, backupType: 'full' as const, cron: '0 3 * * 0', timezone: 'UTC', window: { start: '01:00', end: '05:00' } };
    expect(bodyOf([draftOf(stored), { ...newDraft(), kind: 'verify' }]).schedules).toEqual([
      { id: 's-1', kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone: 'UTC', window: { start: '01:00', end: '05:00' } },
      { kind: 'verify', cron: '0 3 * * 0', timezone: 'UTC' },
    ]);
  });

  it('sorts the server’s issues onto rows and fields', () => {
    const { rows, general } = issuesByRow([
      { path: ['schedules', '0', 'cron'], message: 'bad cron' },
      { path: ['schedules', '1', 'window', 'end'], message: 'same as start' },
      { path: ['schedules'], message: 'too many' },
    ]);
    expect(rows.get(0)).toEqual({ cron: 'bad cron' });
    expect(rows.get(1)).toEqual({ 'window.end': 'same as start' });
    expect(general).toEqual(['schedules: too many']);
  });

  it('previews what croner reads, or why it cannot', () => {
    const now = new Date('2026-12-02T00:00:00Z');
    expect(previewOf(newDraft(), now)).toEqual({ words: 'every Sunday at 03:00 UTC', next: ['Sun 6 Dec 03:00', 'Sun 13 Dec 03:00', 'Sun 20 Dec 03:00'] });
    expect(previewOf({ ...newDraft(), cron: '0 60 * * *' }, now)).toEqual({ error: 'Invalid value for hour: 60' });
    expect(previewOf({ ...newDraft(), timezone: 'Mars/Olympus' }, now)).toHaveProperty('error');
  });
});
