/** Finished backups by outcome. Cancelled runs are neither: an operator stopped them. */
export interface OutcomeCounts {
  succeeded: number;
  failed: number;
}

export function countOutcomes(groups: { status: string; count: number }[]): OutcomeCounts {
  const out: OutcomeCounts = { succeeded: 0, failed: 0 };
  for (const g of groups) {
    if (g.status === 'SUCCEEDED') out.succeeded += g.count;
    else if (g.status === 'FAILED') out.failed += g.count;
  }
  return out;
}
