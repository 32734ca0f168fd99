import { formatBytes } from './format';

/**
 * The bar's share and the words beside it, from one computation so they always agree. Totals may be estimates
 * (a backup's), so the bar never claims 100 % until the run says it is done, a finished run shows its bytes alone,
 * and bytes past the estimate make the bar indeterminate instead of stuck at 99 %.
 */
export function progressView({
  done,
  total,
  active,
  complete,
  estimated,
}: {
  done: number;
  total: number | null;
  active: boolean;
  complete: boolean;
  /** The total is an estimate (a running backup's). */
  estimated: boolean;
}): { percent: number | undefined; text: string } {
  if (complete) return { percent: 100, text: formatBytes(done) };
  if (total === null || total <= 0) return { percent: undefined, text: formatBytes(done) };
  if (done > total) {
    return { percent: undefined, text: `${formatBytes(done)} (more than the ${estimated ? 'estimated' : 'expected'} ${formatBytes(total)})` };
  }
  const percent = Math.min(99, Math.floor((done / total) * 100));
  const of = `${formatBytes(done)} of ${estimated && active ? 'about ' : ''}${formatBytes(total)}`;
  return { percent, text: `${of} (${percent} %)` };
}
