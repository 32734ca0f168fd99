/**
 * redis-cli / redis-server / redis-check-rdb through the one process helper (`server/process`). The password reaches
 * redis-cli only as REDISCLI_AUTH in its environment (passed on purpose, never inherited, never in argv).
 */
import type { Writable } from 'node:stream';

import { EngineError, type EngineErrorCode } from '../engine';
import { spawnProcess, startFailure, type SpawnedProcess } from '@/server/process';

import type { RedisConfig, RedisSecrets } from './config';

export type RedisTool = 'redis-cli' | 'redis-server' | 'redis-check-rdb';

export interface RedisToolOptions {
  /** Folder holding redis-cli/redis-server/redis-check-rdb; default: look them up on PATH. */
  binDir?: string;
}

export function toolCommand(tool: RedisTool, binDir?: string): string {
  return binDir === undefined ? tool : `${binDir.replace(/\/+$/, '')}/${tool}`;
}

/** Connection options of redis-cli: never the password. */
export function connectionArgs(config: Pick<RedisConfig, 'host' | 'port' | 'tls' | 'username'>): string[] {
  return [
    '-h',
    config.host,
    '-p',
    String(config.port),
    ...(config.tls ? ['--tls'] : []),
    ...(config.username !== undefined ? ['--user', config.username] : []),
    // REDISCLI_AUTH is not the warned-about `-a`, but say so explicitly: no warning lines in the stderr we classify.
    '--no-auth-warning',
  ];
}

/** `redis-cli … --rdb -`: a snapshot over the replication protocol, written to stdout. */
export function rdbArgs(config: RedisConfig): string[] {
  return [...connectionArgs(config), '--rdb', '-'];
}

/** The only variable carrying a secret to a child: the source's password, when it has one. */
export function toolEnv(secrets: RedisSecrets): Record<string, string> {
  return secrets.password === undefined || secrets.password === '' ? {} : { REDISCLI_AUTH: secrets.password };
}

export function spawnRedisTool(
  tool: RedisTool,
  args: readonly string[],
  tools: RedisToolOptions,
  env: Record<string, string>,
  stdio: { stdin?: 'ignore' | 'pipe'; stdout: 'ignore' | 'pipe' | Writable },
): SpawnedProcess {
  return spawnProcess({ command: toolCommand(tool, tools.binDir), args, env, stdin: stdio.stdin ?? 'ignore', stdout: stdio.stdout });
}

export function spawnFailure(tool: RedisTool, tools: RedisToolOptions, err: NodeJS.ErrnoException): EngineError {
  const { code, message } = startFailure(tool, toolCommand(tool, tools.binDir), err, 'install the Redis tools (redis-tools / redis-server) on the worker');
  return new EngineError(code, message, { cause: err });
}

/** Ordered: the first rule whose pattern occurs in the message wins. Permanent causes first. */
const RULES: ReadonlyArray<readonly [RegExp, EngineErrorCode]> = [
  [/\bWRONGPASS\b|\binvalid password\b|\bAUTH failed\b|\bNOAUTH\b|\bAuthentication required\b|\buser is disabled\b/i, 'AUTH_FAILED'],
  [/\bNOPERM\b|\bno permissions?\b/i, 'PERMISSION_DENIED'],
  [/\bName or service not known\b|\bnodename nor servname\b/i, 'INVALID_CONFIG'],
  [/\bcertificate verify failed\b|\bSSL_connect\b|\bwrong version number\b/i, 'INVALID_CONFIG'],
  [/\bConnection refused\b|\bConnection reset\b|\btimed out\b|\bCould not connect\b|\bI\/O error\b|\bError condition on socket\b|\bLOADING\b|\bNo route to host\b|\bNetwork is unreachable\b|\bTemporary failure in name resolution\b|\bECONNREFUSED\b|\bECONNRESET\b|\bETIMEDOUT\b|\bEHOSTUNREACH\b|\bConnection is closed\b/i, 'CONNECTION_FAILED'],
];

export function classifyRedisFailure(message: string): EngineErrorCode {
  for (const [pattern, code] of RULES) if (pattern.test(message)) return code;
  return 'TOOL_FAILED';
}

/** redis-cli's progress chatter, not worth showing next to the error that matters. */
const NOISE = /^(sending REPLCONF|SYNC sent to master|Transfer finished with success)/;

/** The useful part of a tool's stderr as one line: its last meaningful lines. */
export function summarizeStderr(stderrTail: string): string {
  return stderrTail
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !NOISE.test(l))
    .slice(-3)
    .join(' / ');
}
