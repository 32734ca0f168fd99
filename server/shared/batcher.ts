/**
 * Collects requests that arrive within a few milliseconds of each other and hands them to `handle` in batches: one
 * batch at a time per batcher; requests arriving while one is handled wait for the next, so a burst makes few large
 * batches and a lone request waits no more than the linger time. Each request's promise settles with its own result
 * (`handle` answers one result per request, in order), or with its batch's error. Used where many concurrent callers
 * each want one small catalog write that one statement can do for all of them (the scheduler's fires, run claims).
 */
export class Batcher<Req, Res> {
  private pending: Array<{ request: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly handle: (requests: Req[]) => Promise<Res[]>,
    private readonly opts: {
      /** The most requests one batch holds. */
      maxBatch: number;
      /** How long the first request of a quiet spell waits for others. */
      lingerMs: number;
      /** Told of a failed batch (its requests are rejected with the error). */
      onError?: (err: unknown, size: number) => void;
    },
  ) {}

  submit(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (this.flushing) return;
      if (this.pending.length >= this.opts.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.opts.lingerMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.opts.maxBatch);
        try {
          const results = await this.handle(batch.map((p) => p.request));
          if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} got ${results.length} results`);
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (e) {
          this.opts.onError?.(e, batch.length);
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
