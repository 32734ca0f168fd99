/**
 * Every object key Lifeboat writes is built here, so the bucket layout is documented (and changed) in one place.
 *
 *   sources/<sourceId>/<yyyy>/<mm>/<dd>/<runId>/data.<ext>      the artifact bytes (e.g. data.pgdump)
 *   sources/<sourceId>/<yyyy>/<mm>/<dd>/<runId>/<role>.<ext>    further objects of a multi-object point
 *                                                               (e.g. db.orders.pgdump.zst.age, globals.sql.zst.age)
 *   sources/<sourceId>/<yyyy>/<mm>/<dd>/<runId>/manifest.json   what the artifact is and how to restore it
 *   audit/heads/<yyyy>-<mm>-<dd>.json                           the audit chain head of that day (auditHeadKey)
 *
 * The date is the run's start in UTC, so a human browsing the bucket finds a backup by day, and retention
 * can list one source's backups with a single prefix. Ids are restricted to a safe alphabet so a key can
 * never gain or lose a path segment.
 */

const ROOT = 'sources';
const MANIFEST_FILE = 'manifest.json';

// cuid/cuid2/uuid/ulid all fit; 128 leaves room without letting an id blow the 1024-byte key budget.
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
// Extensions like "pgdump" or "pgdump.zst.age": lowercase words joined by dots.
const EXTENSION_PATTERN = /^[a-z0-9]+(\.[a-z0-9]+)*$/;

export interface RunKeyParts {
  sourceId: string;
  runId: string;
  /** When the run started; only the UTC date is used. */
  startedAt: Date;
}

export interface RunArtifactKeys {
  /** Folder of the run, ending in "/". */
  prefix: string;
  data: string;
  manifest: string;
}

/** `sources/<sourceId>/` — every backup of one source. */
function sourcePrefix(sourceId: string): string {
  return `${ROOT}/${checkId('sourceId', sourceId)}/`;
}

/** `sources/<sourceId>/<yyyy>/<mm>/<dd>/<runId>/` */
function runPrefix(parts: RunKeyParts): string {
  const { startedAt } = parts;
  if (!(startedAt instanceof Date) || Number.isNaN(startedAt.getTime())) throw new Error('layout: startedAt is not a valid date');
  const yyyy = String(startedAt.getUTCFullYear()).padStart(4, '0');
  const mm = String(startedAt.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(startedAt.getUTCDate()).padStart(2, '0');
  return `${sourcePrefix(parts.sourceId)}${yyyy}/${mm}/${dd}/${checkId('runId', parts.runId)}/`;
}

/**
 * Keys for one run's artifact and manifest. `extension` names the data format as stored, e.g. `pgdump`
 * (plain `pg_dump -Fc`) or `pgdump.zst.age` once compressed and encrypted.
 */
export function runArtifactKeys(parts: RunKeyParts, extension: string): RunArtifactKeys {
  if (!EXTENSION_PATTERN.test(extension)) throw new Error(`layout: invalid data extension ${JSON.stringify(extension)}`);
  const prefix = runPrefix(parts);
  return { prefix, data: `${prefix}data.${extension}`, manifest: `${prefix}${MANIFEST_FILE}` };
}

// Object roles (engine.ts OBJECT_ROLE_PATTERN): the file name's first part.
const ROLE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The key of one object of a run: `<prefix><role>.<extension>`, so the single object of a one-object point (role
 * `data`) keeps the key `runArtifactKeys` gives it.
 */
export function runObjectKey(keys: RunArtifactKeys, role: string, extension: string): string {
  if (!ROLE_PATTERN.test(role)) throw new Error(`layout: invalid object role ${JSON.stringify(role)}`);
  if (!EXTENSION_PATTERN.test(extension)) throw new Error(`layout: invalid data extension ${JSON.stringify(extension)}`);
  return `${keys.prefix}${role}.${extension}`;
}

interface ParsedRunKey {
  sourceId: string;
  runId: string;
  /** `yyyy-mm-dd`, UTC. */
  date: string;
  /** File name inside the run folder, e.g. `data.pgdump` or `manifest.json`. */
  file: string;
}

/** Inverse of `runArtifactKeys`: which source and run a stored key belongs to, and which file of the run it is. */
function parseRunKey(key: string): ParsedRunKey | null {
  const parts = key.split('/');
  if (parts.length !== 7 || parts[0] !== ROOT) return null;
  const [, sourceId, yyyy, mm, dd, runId, file] = parts as [string, string, string, string, string, string, string];
  if (!ID_PATTERN.test(sourceId) || !ID_PATTERN.test(runId)) return null;
  if (!/^\d{4}$/.test(yyyy) || !/^\d{2}$/.test(mm) || !/^\d{2}$/.test(dd)) return null;
  if (file !== MANIFEST_FILE && !/^[a-z0-9][a-z0-9._-]{0,62}\.[a-z0-9]+(\.[a-z0-9]+)*$/.test(file)) return null;
  return { sourceId, runId, date: `${yyyy}-${mm}-${dd}`, file };
}

function checkId(name: string, value: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new Error(`layout: ${name} must match ${ID_PATTERN.source}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The manifest key that sits next to a data key (`…/<runId>/data.<ext>` → `…/<runId>/manifest.json`), or null when
 * `dataKey` is not a run's data key (then there is no manifest Lifeboat could have written beside it).
 */
export function manifestKeyForDataKey(dataKey: string): string | null {
  const parsed = parseRunKey(dataKey);
  if (!parsed || parsed.file === MANIFEST_FILE) return null;
  return `${dataKey.slice(0, dataKey.length - parsed.file.length)}${MANIFEST_FILE}`;
}

/**
 * `audit/heads/` — where the audit chain's head is anchored outside the catalog, one file a day (UTC):
 *
 *   audit/heads/<yyyy>-<mm>-<dd>.json    { sequence, hash, at, mac }
 */
export const AUDIT_HEADS_PREFIX = 'audit/heads/';
const AUDIT_HEAD_KEY = /^audit\/heads\/(\d{4}-\d{2}-\d{2})\.json$/;

/** The key of the audit head anchored on `at`'s UTC date. */
export function auditHeadKey(at: Date): string {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new Error('layout: at is not a valid date');
  return `${AUDIT_HEADS_PREFIX}${at.toISOString().slice(0, 10)}.json`;
}

/** The `yyyy-mm-dd` of an audit head key, or null when `key` is not one (so a listing can skip strangers). */
export function auditHeadDate(key: string): string | null {
  return AUDIT_HEAD_KEY.exec(key)?.[1] ?? null;
}
