/**
 * Small-cell suppression for published counts: every count below the threshold is shown as
 * "<5"; if exactly one cell of a breakdown is hidden, the next-smallest is hidden too (shown as
 * "suppressed", since it is not under 5), so the hidden value cannot be recovered by subtracting
 * the others from the total. A total below the threshold is itself shown as "<5".
 */
export type Cell = number | '<5' | 'suppressed';

export function suppress(counts: Record<string, number>, threshold = 5): { cells: Record<string, Cell>; total: Cell } {
  const entries = Object.entries(counts);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const small = new Set(entries.filter(([, n]) => n > 0 && n < threshold).map(([k]) => k));
  const complementary = new Set<string>();
  if (small.size === 1) {
    const next = entries.filter(([k, n]) => !small.has(k) && n > 0).sort((a, b) => a[1] - b[1])[0];
    if (next) complementary.add(next[0]);
  }
  const cells = Object.fromEntries(
    entries.map(([k, n]) => [k, small.has(k) ? '<5' : complementary.has(k) ? 'suppressed' : n]),
  ) as Record<string, Cell>;
  return { cells, total: total > 0 && total < threshold ? '<5' : total };
}
