import { describe, expect, it } from 'vitest';

import { classifyRedisFailure, connectionArgs, rdbArgs, summarizeStderr, toolEnv } from './cli';
import { RedisConfig, RedisRestoreTarget } from './config';
import { redisDefinition } from './definition';
import { resolveMode } from './restore';

describe('redis-cli argv and environment', () => {
  it('names host, port, TLS and user in argv, never the password', () => {
    const config = RedisConfig.parse({ host: 'cache.internal', port: '6380', tls: true, username: 'backup' });
    expect(rdbArgs(config)).toEqual(['-h', 'cache.internal', '-p', '6380', '--tls', '--user', 'backup', '--no-auth-warning', '--rdb', '-']);
    expect(connectionArgs(RedisConfig.parse({ host: '10.0.0.7' }))).toEqual(['-h', '10.0.0.7', '-p', '6379', '--no-auth-warning']);
  });

  it('passes the password as REDISCLI_AUTH, and nothing without one', () => {
    expect(toolEnv({ password: 's3cret -a x' })).toEqual({ REDISCLI_AUTH: 's3cret -a x' });
    expect(toolEnv({})).toEqual({});
    expect(toolEnv({ password: '' })).toEqual({});
  });

  it('refuses hosts and users that could read as options or hold spaces, and unknown keys', () => {
    for (const bad of [{ host: '-h' }, { host: 'a b' }, { host: 'x', username: '--rdb' }, { host: 'x', port: 0 }, { host: 'x', extra: 1 }, { host: '' }]) {
      expect(RedisConfig.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('redis failures', () => {
  it('classifies what redis-cli and ioredis print', () => {
    expect(classifyRedisFailure('AUTH failed: WRONGPASS invalid username-password pair or user is disabled.')).toBe('AUTH_FAILED');
    expect(classifyRedisFailure('SYNC with master failed: -NOAUTH Authentication required.')).toBe('AUTH_FAILED');
    expect(classifyRedisFailure('Could not connect to Redis at 127.0.0.1:1: Connection refused')).toBe('CONNECTION_FAILED');
    expect(classifyRedisFailure('connect ECONNREFUSED 127.0.0.1:1')).toBe('CONNECTION_FAILED');
    expect(classifyRedisFailure("NOPERM User backup has no permissions to run the 'sync' command")).toBe('PERMISSION_DENIED');
    expect(classifyRedisFailure('something else entirely')).toBe('TOOL_FAILED');
  });

  it('keeps the lines that explain, not the progress chatter', () => {
    const tail = 'sending REPLCONF capa eof\nREPLCONF capa error: NOAUTH Authentication required.\nsending REPLCONF rdb-only 1\nSYNC with master failed: -NOAUTH Authentication required.\n';
    expect(summarizeStderr(tail)).toBe('REPLCONF capa error: NOAUTH Authentication required. / SYNC with master failed: -NOAUTH Authentication required.');
  });
});

describe('redis restore targets', () => {
  const parse = (t: unknown) => RedisRestoreTarget.parse(t);

  it('defaults to a scratch instance for an hour', () => {
    expect(parse({})).toEqual({ ttlSeconds: 3600, tls: false, destructive: false });
    expect(resolveMode(parse({}), undefined)).toBe('scratch');
    expect(resolveMode(parse({ mode: 'scratch' }), 'scratch')).toBe('scratch');
  });

  it("takes the mode from the target (the API's shape) or from the request", () => {
    const replay = { mode: 'replay', host: 'cache2', port: 6379, password: 'x', destructive: false };
    expect(resolveMode(parse(replay), undefined)).toBe('replay');
    // The request verb fills in the default mode when the client put the mode into the target only.
    expect(resolveMode(parse(replay), 'scratch')).toBe('replay');
    expect(resolveMode(parse({ host: 'cache2' }), 'replay')).toBe('replay');
    expect(() => resolveMode(parse({ host: 'cache2' }), 'scratch')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => resolveMode(parse({}), 'replay')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('makes { mode: "replay", destructive: true } the destructive mode replay-replace, confirmed by host:port', () => {
    const destructive = { mode: 'replay', host: 'cache2', port: 6380, destructive: true };
    expect(resolveMode(parse(destructive), undefined)).toBe('replay-replace');
    expect(resolveMode(parse(destructive), 'replay-replace')).toBe('replay-replace');
    // The mode replaces whatever the target's flag says; the non-destructive mode never takes the flag.
    expect(resolveMode(parse({ mode: 'replay', host: 'cache2' }), 'replay-replace')).toBe('replay-replace');
    expect(() => resolveMode(parse(destructive), 'replay')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => resolveMode(parse(destructive), 'scratch')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(redisDefinition.restoreModeOf(destructive)).toBe('replay-replace');
    expect(redisDefinition.restoreModeOf({ mode: 'replay', host: 'cache2' })).toBe('replay');
    expect(redisDefinition.restoreModeOf({})).toBeUndefined();
    const mode = redisDefinition.restoreModes.find((m) => m.mode === 'replay-replace')!;
    expect(mode.destructive).toBe(true);
    expect(mode.confirmationName({}, parse(destructive))).toBe('cache2:6380');
    expect(mode.confirmationName({}, parse({ mode: 'replay', host: 'cache2' }))).toBe('cache2:6379');
    expect(redisDefinition.restoreSecretFields).toEqual(['password']);
  });

  it('refuses replay fields in a scratch target, a replay without host, and lifetimes out of range', () => {
    for (const bad of [
      { mode: 'scratch', host: 'x' },
      { mode: 'scratch', destructive: true },
      { mode: 'replay' },
      { ttlSeconds: 10 },
      { ttlSeconds: 10 * 24 * 3600 },
      { mode: 'overwrite' },
      { nonsense: true },
    ]) {
      expect(RedisRestoreTarget.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
