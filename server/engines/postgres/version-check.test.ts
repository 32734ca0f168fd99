import { describe, expect, it } from 'vitest';

import { isEngineError } from '../engine';
import { checkToolVersion, isToolTooOld, majorLabel, parseToolVersion, versionMismatchError } from './version-check';

describe('pg_dump against the server version', () => {
  it('reads the tools’ version lines', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)')).toEqual({ version: '15.20', num: 150020 });
    expect(parseToolVersion('pg_dumpall (PostgreSQL) 16.4')).toEqual({ version: '16.4', num: 160004 });
    expect(parseToolVersion('pg_dump (PostgreSQL) 17beta1')).toEqual({ version: '17beta1', num: 170000 });
    expect(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({ version: '9.6.24', num: 90624 });
    expect(parseToolVersion('something else 15.2')).toBeUndefined();
  });

  it('refuses only a newer server major, as pg_dump itself does', () => {
    expect(isToolTooOld(150020, 160004)).toBe(true);
    expect(isToolTooOld(150002, 150020)).toBe(false); // a newer minor release of the same major is fine
    expect(isToolTooOld(160004, 150020)).toBe(false); // an older server is fine
    expect(isToolTooOld(90624, 100001)).toBe(true);
    expect(isToolTooOld(90500, 90624)).toBe(true); // 9.5 and 9.6 were different majors
    expect(majorLabel(160004)).toBe('16');
    expect(majorLabel(90624)).toBe('9.6');
  });

  it('names both versions and what to install', () => {
    const err = checkToolVersion('pg_dump', 'pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)', { version: '16.4 (Debian 16.4-1.pgdg120+1)', num: 160004 });
    expect(isEngineError(err, 'INVALID_CONFIG')).toBe(true);
    expect(err!.message).toBe('pg_dump 15.20 is older than the server (16.4); install PostgreSQL 16 client tools on the worker');
    expect(checkToolVersion('pg_dump', 'pg_dump (PostgreSQL) 16.1', { version: '16.4', num: 160004 })).toBeUndefined();
    // Unknown on either side: the tool decides (and its refusal is reworded below).
    expect(checkToolVersion('pg_dump', undefined, { version: '16.4', num: 160004 })).toBeUndefined();
    expect(checkToolVersion('pg_dump', 'pg_dump (PostgreSQL) 15.2', undefined)).toBeUndefined();
  });

  it('rewords the tools’ own refusal the same way', () => {
    const stderr = 'pg_dump: error: aborting because of server version mismatch\npg_dump: detail: server version: 16.4; pg_dump version: 15.20\n';
    const err = versionMismatchError('pg_dump', stderr);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG', message: 'pg_dump 15.20 is older than the server (16.4); install PostgreSQL 16 client tools on the worker' });
    const dumpall = 'pg_dumpall: error: aborting because of server version mismatch\npg_dumpall: detail: server version: 17.0 (Debian 17.0-1); pg_dumpall version: 15.20 (Debian 15.20-0+deb12u1)\n';
    expect(versionMismatchError('pg_dumpall', dumpall)?.message).toBe('pg_dumpall 15.20 is older than the server (17.0); install PostgreSQL 17 client tools on the worker');
    expect(versionMismatchError('pg_dump', 'pg_dump: error: permission denied for table x')).toBeUndefined();
  });
});
