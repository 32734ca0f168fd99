/**
 * Measuring for the benchmark: wall time and CPU time (user + sys, the process and the children it has reaped) of
 * each run, medians over runs, peak RSS. CPU seconds are the figure to trust on a shared machine: wall time moves
 * with whatever else runs, CPU time only with the work done.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

// Linux reports /proc times in clock ticks; USER_HZ is 100 on every mainstream architecture.
const CLOCK_TICKS_PER_SECOND = 100;

/** user+sys seconds of `pid` and of the children it has waited for (its tools, once they exited). */
export function processCpuSeconds(pid: number | 'self'): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses; the fields after its closing one are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of proc(5): utime, stime, cutime, cstime; fields[0] here is field 3.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set size of `pid` so far (the kernel's high-water mark), in bytes. */
export function peakRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

export interface Sample {
  seconds: number;
  cpuSeconds: number;
}

/** Times `fn`, with CPU measured on `cpuOf` (this process and its reaped children by default). */
export async function sample<T>(fn: () => Promise<T>, cpuOf: () => number = () => processCpuSeconds('self')): Promise<Sample & { value: T }> {
  const cpu0 = cpuOf();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, cpuSeconds: cpuOf() - cpu0, value };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Samples per side, in the order the sides were given. */
export type Comparison<K extends string> = Record<K, Sample[]>;

/**
 * Runs every side once per round, `runs` rounds, so that a change in the machine's load hits all sides alike. The
 * order turns round every other round (baseline, lifeboat | lifeboat, baseline | baseline, lifeboat …): on a machine
 * that slows down as the runs go on (seen here: a 1 GB restore after another took ~10% longer, the disk still writing
 * back the last one), a fixed order would always give the second side the slower slot. Each side does its own
 * untimed preparation (dropping a restore target …) around `sample`; `settle`, when given, runs (untimed) before
 * every run of every side, so that each starts from the same quiet machine rather than inside the aftermath of the
 * run before it.
 */
export async function alternate<K extends string>(
  runs: number,
  sides: Record<K, (run: number) => Promise<Sample>>,
  opts: { settle?: () => Promise<void> } = {},
): Promise<Comparison<K>> {
  const names = Object.keys(sides) as K[];
  const result = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as unknown as Comparison<K>;
  for (let run = 0; run < runs; run++) {
    for (const name of run % 2 === 0 ? names : [...names].reverse()) {
      await opts.settle?.();
      result[name].push(await sides[name](run));
    }
  }
  return result;
}

/** The baseline, by definition a shell pipeline; pipefail so that a failing stage fails the run. */
export function shell(script: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`baseline failed (${code ?? signal}): ${script}`))));
  });
}

/** Samples this process's RSS (the pipeline-only rows run Lifeboat's path in-process). */
export function rssSampler() {
  let peak = process.memoryUsage().rss;
  // 50 ms: fine enough to catch a part buffer filling, cheap enough not to show in the CPU figures.
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return { stop: () => (clearInterval(timer), peak) };
}
