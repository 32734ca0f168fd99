import { describe, expect, it } from 'vitest';
import { LocalDestinationConfig, localPathProblem } from './local-destination';

const dataDir = '/srv/lifeboat';
// No symbolic links in these cases: each path is its own real path.
const problem = (p: string, dir = dataDir) => localPathProblem(p, { dataDir: dir, realpath: (x) => x });

describe('local destination paths', () => {
  it.each(['/tmp/lifeboat', '/mnt/backups', '/srv/backups', '/home/alice/backups', '/srv/lifeboat/backups', '/srv/lifeboat/backups/nightly', '/opt/lifeboat-data'])(
    'accepts %s',
    (p) => expect(problem(p)).toBeNull(),
  );

  it.each([
    ['/', /system directory/],
    ['/etc', /system directory/],
    ['/etc/lifeboat', /system directory/],
    ['/usr/local/backups', /system directory/],
    ['/lib64/x', /system directory/],
    ['/root/.ssh', /system directory/],
    ['/var', /system directory/],
    ['/var/lib/postgresql', /system directory/],
    ['/dev/shm/x', /system directory/],
    ['/home/alice/.ssh', /hidden directory/],
    ['/home/alice/.config/lifeboat', /hidden directory/],
    ['/srv/lifeboat', /data directory/],
    ['/srv/lifeboat/pg', /data directory/],
    ['/srv/lifeboat/backups-other', /data directory/],
  ])('refuses %s', (p, reason) => expect(problem(p)).toMatch(reason));

  it('lets the default backups folder be under a system directory when the data directory is', () => {
    expect(problem('/var/lib/lifeboat/backups/x', '/var/lib/lifeboat')).toBeNull();
    expect(problem('/var/lib/lifeboat/other', '/var/lib/lifeboat')).toMatch(/data directory/);
  });

  it('judges where a symbolic link leads, not only its name', () => {
    const realpath = (p: string) => p.replace(/^\/tmp\/to-etc/, '/etc');
    expect(localPathProblem('/tmp/to-etc/lifeboat', { dataDir, realpath })).toMatch(/\/etc\/lifeboat/);
    const intoData = (p: string) => p.replace(/^\/tmp\/to-data/, dataDir);
    expect(localPathProblem('/tmp/to-data/pg', { dataDir, realpath: intoData })).toMatch(/data directory/);
  });

  it('normalises the path and refuses relative ones', () => {
    expect(LocalDestinationConfig.parse({ path: '/tmp/a/../b/' })).toEqual({ path: '/tmp/b' });
    expect(LocalDestinationConfig.safeParse({ path: 'backups' }).success).toBe(false);
    expect(LocalDestinationConfig.safeParse({ path: '' }).success).toBe(false);
  });
});
