/** The q-quantile (0..1) of unsorted samples by nearest rank; 0 for no samples. */
export function quantile(samples: ArrayLike<number>, q: number): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
