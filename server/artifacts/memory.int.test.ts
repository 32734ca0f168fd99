/**
 * Bounded memory: 1 GiB (generated on demand, never held) through zstd + age into a sink that discards it, with
 * RSS sampled every 100 ms. The pipeline must hold a few buffers, not the artifact. Prints peak RSS growth and
 * throughput. LIFEBOAT_PIPELINE_BIG_BYTES overrides the size (e.g. 200000000 on a slow machine).
 */
import { pipeline as pipe } from 'node:stream/promises';

import { describe, expect, it } from 'vitest';

import { generateIdentity } from './keys';
import { createWritePipeline } from './pipeline';
import { childProcesses, discardSink, generatedInput } from './test-support';

// 1 GiB: far beyond every buffer on the way, so any accumulation would show as hundreds of MB.
const DEFAULT_BYTES = 1024 ** 3;
const BYTES = Number(process.env.LIFEBOAT_PIPELINE_BIG_BYTES ?? DEFAULT_BYTES);
// Our buffers are a few MB; the rest is V8 heap and allocator slack, which varies by machine. 100 MB still
// catches any leak proportional to the data (that would be ≥ 1 GB here).
const MAX_RSS_GROWTH_BYTES = 100 * 1024 * 1024;
// Often enough to catch a short spike, rarely enough not to slow the pipeline down.
const SAMPLE_EVERY_MS = 100;

const MiB = 1024 * 1024;

describe('bounded memory', () => {
  it(`pipes ${(BYTES / MiB).toFixed(0)} MiB through zstd+age with flat RSS`, { timeout: 180_000 }, async () => {
    const { recipient } = await generateIdentity();
    // Warm up (module loading, first spawns, JIT) so the baseline is the steady state, not a cold process.
    const warm = createWritePipeline(generatedInput(8 * MiB).stream, { compression: { level: 3 }, recipients: [recipient] });
    await Promise.all([pipe(warm.stream, discardSink()), warm.done]);
    global.gc?.();

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, SAMPLE_EVERY_MS);

    const input = generatedInput(BYTES);
    const sink = discardSink();
    const started = performance.now();
    const big = createWritePipeline(input.stream, { compression: { level: 3 }, recipients: [recipient] });
    const [, result] = await Promise.all([pipe(big.stream, sink), big.done]);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    const growth = peak - baseline;
    console.log(
      `[artifacts] ${(BYTES / MiB).toFixed(0)} MiB raw → ${(result.storedBytes! / MiB).toFixed(0)} MiB stored (zstd -3 + age) in ${seconds.toFixed(1)} s ` +
        `= ${(BYTES / MiB / seconds).toFixed(0)} MiB/s; RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak +${(growth / MiB).toFixed(1)} MiB`,
    );
    expect(result.rawBytes).toBe(BYTES);
    expect(sink.bytes()).toBe(result.storedBytes);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    expect(await childProcesses()).toEqual([]);
  });
});
