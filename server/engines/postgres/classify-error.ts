/**
 * What a failure of pg_dump / pg_restore (libpq's stderr) or of node-postgres means, as an `EngineErrorCode`, so that
 * the runner retries only what a retry can cure (see `EngineError.retryable`). A wrong password retried three times
 * only delays the answer and hammers the user's server with failed logins.
 *
 * node-postgres errors are judged by SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html) where
 * the server sent one, else by the socket's errno; the CLI tools print no SQLSTATE, so their stderr is matched
 * against libpq's and the server's English message texts. A translated message (a server or worker with another
 * lc_messages) matches nothing and ends as TOOL_FAILED, which is not retried: the safe side, it fails at once and
 * never hammers the server. Permanent causes are checked first: when libpq tried several addresses (`localhost` is
 * ::1 and 127.0.0.1) and one refused while another rejected the password, the password is what the user must fix.
 */
import type { EngineErrorCode } from '../engine';

/** The codes a PostgreSQL failure can be classified as. */
export type PostgresFailureCode = Extract<EngineErrorCode, 'AUTH_FAILED' | 'PERMISSION_DENIED' | 'INVALID_CONFIG' | 'CONNECTION_FAILED'>;

/** Ordered: the first rule whose pattern occurs anywhere in the stderr tail wins. */
const STDERR_RULES: ReadonlyArray<readonly [RegExp, PostgresFailureCode]> = [
  // 28P01 invalid_password, and every other method's "<method> authentication failed for user" (peer, ident, ldap…).
  [/\bauthentication failed for user\b/i, 'AUTH_FAILED'],
  // libpq itself: the server asked for a password and none was configured.
  [/\bno password supplied\b/i, 'AUTH_FAILED'],
  // 28000 invalid_authorization_specification: pg_hba.conf, unknown or NOLOGIN role.
  [/\bpg_hba\.conf rejects connection\b|\bno pg_hba\.conf entry for\b/i, 'AUTH_FAILED'],
  [/FATAL:\s+role "[^"]*" (does not exist|is not permitted to log in)/i, 'AUTH_FAILED'],
  // 3D000 invalid_catalog_name: the source names a database the server does not have.
  [/FATAL:\s+database "[^"]*" does not exist/i, 'INVALID_CONFIG'],
  // pg_dump older than the server, or an archive written by a newer pg_dump than this pg_restore.
  [/\bserver version mismatch\b|\bunsupported version \([^)]*\) in file header\b/i, 'INVALID_CONFIG'],
  // sslmode=require (or verify-*) against a server without TLS, or a certificate that does not verify.
  [/\bSSL was required\b|\bcertificate verify failed\b|\bserver certificate for "[^"]*" does not match host name\b|\broot certificate file "[^"]*" does not exist\b/i, 'INVALID_CONFIG'],
  // A host name that does not exist (NXDOMAIN). A resolver that is down ("Temporary failure…") is transient, below.
  [/could not translate host name "[^"]*" to address: (Name or service not known|nodename nor servname provided)/i, 'INVALID_CONFIG'],
  // 42501 insufficient_privilege: a table, schema or database (CONNECT) the role may not read; CREATEDB missing.
  [/\bpermission denied\b|\bmust be (owner|superuser|a member)\b/i, 'PERMISSION_DENIED'],
  // Transient: nothing listens (yet), the network or the server dropped us, the server is busy or restarting.
  [/\bConnection refused\b|\btimeout expired\b|\bConnection timed out\b|\bConnection reset by peer\b/i, 'CONNECTION_FAILED'],
  [/\bserver closed the connection unexpectedly\b|\bcould not (receive data from|send data to) server\b|\bSSL SYSCALL error\b/i, 'CONNECTION_FAILED'],
  [/\b(No route to host|Network is unreachable|Host is unreachable|Temporary failure in name resolution)\b/i, 'CONNECTION_FAILED'],
  // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down, in recovery).
  [/\bterminating connection due to (administrator command|crash of another server process)\b/i, 'CONNECTION_FAILED'],
  [/\bthe database system is (starting up|shutting down|in recovery mode|not (yet )?accepting connections)\b/i, 'CONNECTION_FAILED'],
  // 53300 too_many_connections (server-wide, per role, per database), 53200 out_of_memory.
  [/\btoo many clients already\b|\btoo many connections for (role|database)\b|\bERROR:\s+out of memory\b/i, 'CONNECTION_FAILED'],
];

/**
 * The code a pg_dump / pg_restore failure deserves, judged from its stderr tail; undefined when nothing in it is
 * recognised (the caller then reports `TOOL_FAILED`, which is not retried: an unknown failure of a tool that
 * connected is far more often a permanent problem — an unsupported object, a broken catalog — than a passing one).
 */
export function classifyToolStderr(stderrTail: string): PostgresFailureCode | undefined {
  return STDERR_RULES.find(([pattern]) => pattern.test(stderrTail))?.[1];
}

/** Socket and resolver errno values that a later attempt may not meet again. */
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'EAI_AGAIN']);

/**
 * The code a node-postgres (or socket) error deserves: by SQLSTATE first, then errno, then node-postgres's own
 * message texts; undefined when it is none of those (the caller picks the fallback that fits its step).
 */
export function classifyClientError(err: unknown): PostgresFailureCode | undefined {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // Several addresses tried: the most permanent cause decides, as for the tools' stderr.
    const codes = err.errors.map(classifyClientError);
    return PERMANENCE.find((code) => codes.includes(code));
  }
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : undefined;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    const bySqlState = classifySqlState(code);
    if (bySqlState !== undefined) return bySqlState;
  }
  if (code === 'ENOTFOUND') return 'INVALID_CONFIG';
  if (code !== undefined && TRANSIENT_ERRNO.has(code)) return 'CONNECTION_FAILED';
  const message = err instanceof Error ? err.message : String(err);
  // node-postgres's SCRAM client refuses an empty password before sending anything (libpq: "no password supplied").
  if (/\bclient password must be a (non-empty )?string\b/i.test(message)) return 'AUTH_FAILED';
  // sslmode=require against a server without TLS; a certificate that does not verify (node's TLS error texts).
  if (/\bdoes not support SSL connections\b|\bcertificate\b|\bself[- ]signed\b|\bHostname\/IP does not match\b/i.test(message)) return 'INVALID_CONFIG';
  if (/\bConnection terminated\b|\btimeout expired\b|\bconnection timeout\b/i.test(message)) return 'CONNECTION_FAILED';
  return classifyToolStderr(message);
}

/** Most permanent first: what to report when several causes were seen at once. */
const PERMANENCE: readonly PostgresFailureCode[] = ['AUTH_FAILED', 'INVALID_CONFIG', 'PERMISSION_DENIED', 'CONNECTION_FAILED'];

/** By SQLSTATE class (two characters) or exact code; undefined for the many the runner need not tell apart. */
export function classifySqlState(sqlState: string): PostgresFailureCode | undefined {
  // 28000 invalid_authorization_specification, 28P01 invalid_password.
  if (sqlState.startsWith('28')) return 'AUTH_FAILED';
  if (sqlState === '3D000') return 'INVALID_CONFIG';
  if (sqlState === '42501') return 'PERMISSION_DENIED';
  // 08xxx connection_exception: the connection could not be made or was lost.
  if (sqlState.startsWith('08')) return 'CONNECTION_FAILED';
  // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (57014 query_canceled is not: we cancel).
  if (/^57P0[1-3]$/.test(sqlState)) return 'CONNECTION_FAILED';
  // 53200 out_of_memory, 53300 too_many_connections pass; 53100 disk_full and 53400 configuration_limit_exceeded
  // need someone to act, so they are not retried.
  if (sqlState === '53200' || sqlState === '53300') return 'CONNECTION_FAILED';
  return undefined;
}

/** `classifyToolStderr`, or `TOOL_FAILED` (not retried) when nothing in the stderr tail is recognised. */
export function toolFailureCode(stderrTail: string): EngineErrorCode {
  return classifyToolStderr(stderrTail) ?? 'TOOL_FAILED';
}
