/**
 * BENCH-ONLY ENGINE. Never add it to `ENGINES` in server/engines/registry.ts: it backs up nothing.
 *
 * The scheduler bench (bench/scheduler.bench.ts) needs a thousand backups a minute whose own cost is next to nothing,
 * so that what it measures is the scheduler (fire → slot → run → claim), not pg_dump. A backup emits one short line at
 * once; restore and verify read it back. Only bench/scheduler-worker.ts registers it, next to the production engines.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { EngineError, parseEngineInput, type Engine, type EngineBackupResult } from '@/server/engines/engine';

const FORMAT = 'lifeboat-bench-instant-v1';
const PAYLOAD = Buffer.from('lifeboat bench instant backup\n', 'latin1');

const InstantConfig = z.object({}).strict();
const InstantSecrets = z.object({}).strict();
const InstantRestoreTarget = z.object({}).strict();
type Empty = z.input<typeof InstantConfig>;

const parse = (config: unknown, secrets: unknown) => {
  parseEngineInput(InstantSecrets, secrets, 'instant secrets');
  return parseEngineInput(InstantConfig, config, 'instant config');
};

async function drain(input: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of input) bytes += (chunk as Buffer).length;
  return bytes;
}

export const instantEngine: Engine<Empty, Empty, Empty> = {
  kind: 'bench-instant',
  label: 'Bench instant',
  description: 'Bench-only: a backup of a few bytes that finishes at once.',
  configSchema: InstantConfig,
  secretsSchema: InstantSecrets,
  restoreTargetSchema: InstantRestoreTarget,
  examples: { config: {}, secrets: {}, restoreTarget: {} },
  artifact: { extension: 'instant', restoreHint: ({ decode }) => `${decode} > /dev/null` },
  form: [],
  restoreForm: [],
  backupTypes: ['full'],
  restoreModes: [{ mode: 'new', label: 'Nowhere', destructive: false, help: 'The bench engine restores into nothing.' }],

  async probe(config, secrets) {
    parse(config, secrets);
    return { ok: true, message: 'instant' };
  },

  backup(config, secrets, options = {}) {
    parse(config, secrets);
    const startedAt = Date.now();
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled before it started');
    const stream = Readable.from([PAYLOAD], { objectMode: false });
    const done = new Promise<EngineBackupResult>((resolve, reject) => {
      stream.once('end', () => resolve({ bytes: PAYLOAD.length, durationMs: Date.now() - startedAt, format: FORMAT }));
      stream.once('error', reject);
    });
    done.catch(() => undefined);
    return { stream, done };
  },

  async restore(config, secrets, input, target) {
    const startedAt = Date.now();
    parse(config, secrets);
    parseEngineInput(InstantRestoreTarget, target, 'instant restore target');
    return { bytes: await drain(input), durationMs: Date.now() - startedAt, target: 'nowhere' };
  },

  async verify(input) {
    const startedAt = Date.now();
    const bytes = await drain(input);
    if (bytes !== PAYLOAD.length) throw new EngineError('TOOL_FAILED', `the artifact holds ${bytes} bytes, not ${PAYLOAD.length}`);
    return { bytes, durationMs: Date.now() - startedAt, entries: 1, summary: 'one instant line' };
  },
};
