import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { EngineError } from '../engine';
import { classifyClientError, classifySqlState, classifyToolStderr, toolFailureCode } from './classify-error';

// stderr of real pg_dump 15 / libpq runs (a scram-sha-256 cluster from server/testing/scram-cluster.ts, a cluster
// with a custom pg_hba.conf and max_connections=4, closed and silent loopback ports), copied verbatim.
const STDERR = {
  wrongPassword: 'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: FATAL:  password authentication failed for user "postgres"\n',
  noPassword: 'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: fe_sendauth: no password supplied\n',
  missingDatabase: 'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: FATAL:  database "nope" does not exist\n',
  // The trusting test server names the role; a password-checking one says "password authentication failed" instead.
  missingRole: 'pg_dump: error: connection to server at "127.0.0.1", port 55432 failed: FATAL:  role "ghost" does not exist\n',
  nologin: 'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: FATAL:  role "nologin_r" is not permitted to log in\n',
  hbaReject:
    'pg_dump: error: connection to server at "127.0.0.1", port 38821 failed: FATAL:  pg_hba.conf rejects connection for host "127.0.0.1", user "rejected", database "postgres", no encryption\n',
  hbaNoEntry:
    'pg_dump: error: connection to server at "127.0.0.1", port 38821 failed: FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "other", database "postgres", no encryption\n',
  sslRequired: 'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: server does not support SSL, but SSL was required\n',
  // Not seen here (one major version installed): pg_dump 15's text for a newer server (pg_dump.c).
  versionMismatch: 'pg_dump: error: aborting because of server version mismatch\npg_dump: detail: server version: 16.4; pg_dump version: 15.20\n',
  permissionTable: 'pg_dump: error: query failed: ERROR:  permission denied for table secret\npg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE\n',
  noConnectPrivilege:
    'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: FATAL:  permission denied for database "private"\nDETAIL:  User does not have CONNECT privilege.\n',
  unknownHost: 'pg_dump: error: could not translate host name "no-such-host.invalid" to address: Name or service not known\n',
  refused:
    'pg_dump: error: connection to server at "127.0.0.1", port 44937 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n',
  timeout: 'pg_dump: error: connection to server at "127.0.0.1", port 43511 failed: timeout expired\n',
  closed:
    'pg_dump: error: connection to server at "127.0.0.1", port 39855 failed: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n',
  adminTerminate:
    'pg_dump: error: query failed: FATAL:  terminating connection due to administrator command\nserver closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\npg_dump: detail: Query was: LOCK TABLE public.big IN ACCESS SHARE MODE\n',
  shuttingDown: 'pg_dump: error: connection to server at "127.0.0.1", port 38821 failed: FATAL:  the database system is shutting down\n',
  // Not caught live (a fresh cluster starts too fast): the postmaster's 57P03 text.
  startingUp: 'pg_dump: error: connection to server at "127.0.0.1", port 38821 failed: FATAL:  the database system is starting up\n',
  tooManyClients: 'pg_dump: error: connection to server at "127.0.0.1", port 38821 failed: FATAL:  sorry, too many clients already\n',
  tooManyForRole: 'pg_dump: error: connection to server at "127.0.0.1", port 34507 failed: FATAL:  too many connections for role "limited"\n',
  // pg_restore of a truncated archive: the archive is damaged, which no retry cures.
  truncated: 'pg_restore: error: could not read input file: end of file\n',
  // localhost is ::1 and 127.0.0.1: one refused, the other rejected the password. The password is what to fix.
  twoAddresses:
    'pg_dump: error: connection to server at "localhost" (::1), port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\nconnection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "postgres"\n',
};

describe('classifyToolStderr', () => {
  it.each([
    ['wrongPassword', 'AUTH_FAILED'],
    ['noPassword', 'AUTH_FAILED'],
    ['missingRole', 'AUTH_FAILED'],
    ['nologin', 'AUTH_FAILED'],
    ['hbaReject', 'AUTH_FAILED'],
    ['hbaNoEntry', 'AUTH_FAILED'],
    ['twoAddresses', 'AUTH_FAILED'],
    ['missingDatabase', 'INVALID_CONFIG'],
    ['versionMismatch', 'INVALID_CONFIG'],
    ['sslRequired', 'INVALID_CONFIG'],
    ['unknownHost', 'INVALID_CONFIG'],
    ['permissionTable', 'PERMISSION_DENIED'],
    ['noConnectPrivilege', 'PERMISSION_DENIED'],
    ['refused', 'CONNECTION_FAILED'],
    ['timeout', 'CONNECTION_FAILED'],
    ['closed', 'CONNECTION_FAILED'],
    ['adminTerminate', 'CONNECTION_FAILED'],
    ['shuttingDown', 'CONNECTION_FAILED'],
    ['startingUp', 'CONNECTION_FAILED'],
    ['tooManyClients', 'CONNECTION_FAILED'],
    ['tooManyForRole', 'CONNECTION_FAILED'],
  ] as const)('%s → %s', (name, code) => {
    expect(classifyToolStderr(STDERR[name])).toBe(code);
  });

  it('leaves what it does not recognise to TOOL_FAILED, which is not retried', () => {
    expect(classifyToolStderr(STDERR.truncated)).toBeUndefined();
    expect(toolFailureCode(STDERR.truncated)).toBe('TOOL_FAILED');
    expect(toolFailureCode('')).toBe('TOOL_FAILED');
    expect(new EngineError(toolFailureCode(STDERR.truncated), 'x').retryable).toBe(false);
  });

  it('a role that pg_restore cannot find in the dump is not a login failure', () => {
    // An ERROR inside the restore (not the connection's FATAL) must not read as bad credentials.
    expect(classifyToolStderr('pg_restore: error: could not execute query: ERROR:  role "app" does not exist\nCommand was: ALTER TABLE t OWNER TO app;\n')).toBeUndefined();
  });

  it('only the transient class is retryable', () => {
    const retryable = (name: keyof typeof STDERR) => new EngineError(toolFailureCode(STDERR[name]), 'x').retryable;
    expect(retryable('wrongPassword')).toBe(false);
    expect(retryable('missingDatabase')).toBe(false);
    expect(retryable('permissionTable')).toBe(false);
    expect(retryable('refused')).toBe(true);
    expect(retryable('shuttingDown')).toBe(true);
  });
});

/** A node-postgres server error as the driver builds it (pg.DatabaseError with the server's SQLSTATE). */
function serverError(message: string, code: string): pg.DatabaseError {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}
const socketError = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('classifyClientError', () => {
  // Messages and codes as node-postgres reported them in the same runs as the stderr above.
  it.each([
    ['wrong password', serverError('password authentication failed for user "postgres"', '28P01'), 'AUTH_FAILED'],
    ['NOLOGIN role', serverError('role "nologin_r" is not permitted to log in', '28000'), 'AUTH_FAILED'],
    ['pg_hba.conf', serverError('no pg_hba.conf entry for host "127.0.0.1", user "other", database "postgres", no encryption', '28000'), 'AUTH_FAILED'],
    ['empty password (SCRAM)', new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string'), 'AUTH_FAILED'],
    ['missing database', serverError('database "nope" does not exist', '3D000'), 'INVALID_CONFIG'],
    ['no TLS on the server', new Error('The server does not support SSL connections'), 'INVALID_CONFIG'],
    ['unknown host', socketError('getaddrinfo ENOTFOUND no-such-host.invalid', 'ENOTFOUND'), 'INVALID_CONFIG'],
    ['no CONNECT privilege', serverError('permission denied for database "private"', '42501'), 'PERMISSION_DENIED'],
    ['refused', socketError('connect ECONNREFUSED 127.0.0.1:44937', 'ECONNREFUSED'), 'CONNECTION_FAILED'],
    ['closed at once', new Error('Connection terminated unexpectedly'), 'CONNECTION_FAILED'],
    ['silent server', new Error('timeout expired'), 'CONNECTION_FAILED'],
    ['shutting down', serverError('the database system is shutting down', '57P03'), 'CONNECTION_FAILED'],
    ['admin shutdown', serverError('terminating connection due to administrator command', '57P01'), 'CONNECTION_FAILED'],
    ['too many clients', serverError('sorry, too many clients already', '53300'), 'CONNECTION_FAILED'],
    ['too many for role', serverError('too many connections for role "limited"', '53300'), 'CONNECTION_FAILED'],
  ] as const)('%s → %s', (_what, err, code) => {
    expect(classifyClientError(err)).toBe(code);
  });

  it('several addresses tried: the most permanent cause decides', () => {
    const refused = socketError('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED');
    const auth = serverError('password authentication failed for user "postgres"', '28P01');
    expect(classifyClientError(new AggregateError([refused, auth]))).toBe('AUTH_FAILED');
    expect(classifyClientError(new AggregateError([refused, refused]))).toBe('CONNECTION_FAILED');
  });

  it('leaves other server errors to the caller', () => {
    expect(classifyClientError(serverError('syntax error at or near "x"', '42601'))).toBeUndefined();
    expect(classifyClientError(serverError('could not extend file: No space left on device', '53100'))).toBeUndefined();
  });
});

describe('classifySqlState', () => {
  it.each([
    ['28P01', 'AUTH_FAILED'],
    ['28000', 'AUTH_FAILED'],
    ['3D000', 'INVALID_CONFIG'],
    ['42501', 'PERMISSION_DENIED'],
    ['08006', 'CONNECTION_FAILED'],
    ['08001', 'CONNECTION_FAILED'],
    ['57P01', 'CONNECTION_FAILED'],
    ['57P03', 'CONNECTION_FAILED'],
    ['53300', 'CONNECTION_FAILED'],
    ['57014', undefined],
    ['53100', undefined],
    ['42P04', undefined],
  ] as const)('%s → %s', (state, code) => {
    expect(classifySqlState(state)).toBe(code);
  });
});
