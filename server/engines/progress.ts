import type { EngineProgress, EngineRunOptions } from './engine';

// Fast enough for a live progress bar, slow enough that a fast tool (a 1 GB/s dump) does not flood Redis pub/sub.
const PROGRESS_INTERVAL_MS = 250;

export interface ProgressReporter {
  /** Records the new byte count; reports it if the last report is old enough. */
  update(bytes: number): void;
  setEstimatedTotal(bytes: number | undefined): void;
  /** Reports the current state now (used once at the end). */
  flush(): void;
}

/** Throttles `onProgress` and shields the engine from exceptions thrown by the callback. */
export function createProgressReporter(phase: EngineProgress['phase'], onProgress: EngineRunOptions['onProgress']): ProgressReporter {
  let bytes = 0;
  let estimatedTotalBytes: number | undefined;
  let lastReport = 0;

  function report(): void {
    lastReport = Date.now();
    if (onProgress === undefined) return;
    try {
      onProgress(estimatedTotalBytes === undefined ? { phase, bytes } : { phase, bytes, estimatedTotalBytes });
    } catch {
      // A broken progress listener must never fail a backup.
    }
  }

  return {
    update(next) {
      bytes = next;
      if (Date.now() - lastReport >= PROGRESS_INTERVAL_MS) report();
    },
    setEstimatedTotal(total) {
      estimatedTotalBytes = total;
    },
    flush: report,
  };
}
