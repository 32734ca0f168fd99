/**
 * The environment of every child process: a short allow-list picked from the worker's own, plus what the caller
 * passes on purpose (e.g. PGPASSWORD for the one pg tool that needs it). Nothing else is inherited: the worker's
 * environment holds the master key, the catalog's DATABASE_URL, REDIS_URL and cloud credentials, and a child's
 * environment is readable by anything running as the same user (/proc/<pid>/environ) for as long as it runs.
 * It also keeps tool-specific settings out (PGHOST, PGOPTIONS, ZSTD_CLEVEL, NODE_OPTIONS …): the caller's argv and
 * its explicit variables are the only inputs that change what a tool does.
 */

/** Inherited by name: finding the binary, the home directory (libpq's ~/.postgresql certificates), temp files, time. */
const INHERITED = new Set(['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LANGUAGE']);
/** Locale categories (LC_ALL, LC_CTYPE, LC_MESSAGES …): how a tool decodes names and words its errors. */
const INHERITED_PATTERN = /^LC_[A-Z_]+$/;
/** Where a worker started without PATH (some init systems do) still finds the tools Debian installs. */
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * `base` is the worker's environment (a parameter for tests). `passed` wins over an inherited variable of the
 * same name, and is the only way a secret reaches a child.
 */
export function childEnv(
  passed: Readonly<Record<string, string>> = {},
  base: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && (INHERITED.has(key) || INHERITED_PATTERN.test(key))) env[key] = value;
  }
  env.PATH ??= FALLBACK_PATH;
  return { ...env, ...passed };
}
