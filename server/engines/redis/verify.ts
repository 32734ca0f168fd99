import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { EngineError, type EngineRunOptions, type EngineVerifyResult } from '../engine';
import { describeExit } from '@/server/process';

import { spawnFailure, spawnRedisTool, type RedisToolOptions } from './cli';
import { createProgressReporter } from '../progress';

/**
 * `redis-check-rdb` over the artifact. The tool reads only a named file, so the snapshot is written to a private
 * temp file (0600 in a 0700 directory) first and removed afterwards. Resolves with the number of keys it read.
 */
export async function verifyRedis(input: Readable, options: EngineRunOptions = {}, tools: RedisToolOptions = {}): Promise<EngineVerifyResult> {
  const startedAt = Date.now();
  const progress = createProgressReporter('verify', options.onProgress);
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-redis-verify-'));
  try {
    const file = path.join(dir, 'dump.rdb');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        progress.update(bytes);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(input, count, createWriteStream(file, { mode: 0o600, flags: 'wx' }), { signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw new EngineError('CANCELLED', 'verify cancelled');
      throw err;
    }
    progress.flush();
    if (bytes === 0) throw new EngineError('EMPTY_OUTPUT', 'the artifact is empty');

    const check = spawnRedisTool('redis-check-rdb', [file], tools, {}, { stdout: 'pipe' });
    const out: Buffer[] = [];
    check.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    const onAbort = () => check.kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const exit = await check.exited;
    options.signal?.removeEventListener('abort', onAbort);
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'verify cancelled');
    if (exit.spawnError !== undefined) throw spawnFailure('redis-check-rdb', tools, exit.spawnError);
    // redis-check-rdb reports on stdout; keep its own words.
    const text = Buffer.concat(out).toString('utf8') + exit.stderrTail;
    if (exit.code !== 0) {
      const lines = text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^\[offset \d+\] (?!Checking|AUX|Selecting)|^\[additional info\]/.test(l))
        .slice(0, 3);
      throw new EngineError('TOOL_FAILED', `redis-check-rdb rejected the snapshot: ${lines.join(' / ') || describeExit(exit)}`);
    }
    const keys = Number(/\[info\] (\d+) keys read/.exec(text)?.[1] ?? NaN);
    const version = /AUX FIELD redis-ver = '([^']*)'/.exec(text)?.[1];
    const entries = Number.isFinite(keys) ? keys : 0;
    return {
      bytes,
      durationMs: Date.now() - startedAt,
      entries,
      summary: `RDB looks OK: ${entries} keys${version === undefined ? '' : `, written by Redis ${version}`}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
