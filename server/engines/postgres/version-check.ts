/**
 * pg_dump (and pg_dumpall) cannot dump a server of a newer major version: they abort with "server version mismatch".
 * Lifeboat checks before it starts them, so the run fails at once with a message that says what to install, and
 * rewrites the tools' own refusal into the same words where the check could not run first (the direct path starts
 * pg_dump at once, see backup.ts).
 */
import { EngineError } from '../engine';

export interface ServerVersion {
  /** `server_version`, e.g. `16.4` or `16.4 (Debian 16.4-1.pgdg120+1)`. */
  version: string;
  /** `server_version_num`, e.g. 160004. */
  num: number;
}

/**
 * `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` → `{ version: "15.20", num: 150020 }`; undefined if the line is
 * not a PostgreSQL tool's version. Pre-releases count as their major's first release (`17beta1` → 170000). Before
 * PostgreSQL 10 the major was two numbers (`9.6.24` → 90624).
 */
export function parseToolVersion(line: string): { version: string; num: number } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?(\S*)/.exec(line);
  if (match === null) return undefined;
  const [, a, b, c, rest] = match;
  const major = Number(a);
  const version = `${a}${b === undefined ? '' : `.${b}`}${c === undefined ? '' : `.${c}`}${rest ?? ''}`;
  if (major >= 10) return { version, num: major * 10_000 + Number(b ?? 0) };
  return { version, num: major * 10_000 + Number(b ?? 0) * 100 + Number(c ?? 0) };
}

/** The major version as people write it: `16` (from 10 on), `9.6` before. */
export function majorLabel(num: number): string {
  return num >= 100_000 ? String(Math.floor(num / 10_000)) : `${Math.floor(num / 10_000)}.${Math.floor(num / 100) % 100}`;
}

/**
 * The tools' own rule (pg_dump.c, `maxRemoteVersion`): a server is too new when its major is above the tool's. Minor
 * releases never matter: pg_dump 15.2 dumps a 15.20 server.
 */
export function isToolTooOld(toolNum: number, serverNum: number): boolean {
  return Math.floor(serverNum / 100) > Math.floor(toolNum / 100);
}

/** The readable refusal, e.g. `pg_dump 15.20 is older than the server (16.4); install PostgreSQL 16 client tools on the worker`. */
export function tooOldMessage(tool: string, toolVersion: string, serverVersion: string, serverNum: number): string {
  return `${tool} ${toolVersion} is older than the server (${serverVersion}); install PostgreSQL ${majorLabel(serverNum)} client tools on the worker`;
}

/**
 * `INVALID_CONFIG` if the tool whose `--version` line is `toolVersionLine` cannot dump `server`; undefined when it can
 * or when either version is unknown (the tool then decides, and `versionMismatchError` words its refusal).
 */
export function checkToolVersion(tool: string, toolVersionLine: string | undefined, server: ServerVersion | undefined): EngineError | undefined {
  if (toolVersionLine === undefined || server === undefined || !Number.isFinite(server.num)) return undefined;
  const parsed = parseToolVersion(toolVersionLine);
  if (parsed === undefined || !isToolTooOld(parsed.num, server.num)) return undefined;
  return new EngineError('INVALID_CONFIG', tooOldMessage(tool, parsed.version, shortVersion(server.version), server.num));
}

/**
 * The tool's own "server version mismatch" refusal (`server version: 16.4; pg_dump version: 15.20`) as the same readable
 * `INVALID_CONFIG`; undefined for any other stderr.
 */
export function versionMismatchError(tool: string, stderrTail: string): EngineError | undefined {
  if (!/\bserver version mismatch\b/i.test(stderrTail)) return undefined;
  const match = /server version: ([^;\n]+); \S+ version: ([^\n]+)/i.exec(stderrTail);
  if (match === null) return undefined;
  const server = shortVersion(match[1]!);
  const toolVersion = shortVersion(match[2]!);
  const serverNum = parseToolVersion(`(PostgreSQL) ${server}`)?.num;
  if (serverNum === undefined) return undefined;
  return new EngineError('INVALID_CONFIG', tooOldMessage(tool, toolVersion, server, serverNum));
}

/** `16.4 (Debian 16.4-1.pgdg120+1)` → `16.4`. */
function shortVersion(version: string): string {
  return version.trim().split(/\s+/)[0] ?? version.trim();
}
