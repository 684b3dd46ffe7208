/**
 * Two loads compared by their ratio are measured in alternation, round after round, so that both
 * see the same moments of a shared machine; the table gives the median of each figure and the
 * median of the rounds' ratios, with every round's ratio beside it.
 */
import type { LoadResult } from "./wrk";

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** The median round of several loads: each figure's median, and every error counted. */
export function typical(results: LoadResult[]): LoadResult {
  const of = (pick: (r: LoadResult) => number) => median(results.map(pick));
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    requests: of((r) => r.requests),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  };
}

export interface Compared {
  /** The median of the per-round ratios of the first figure to the second. */
  ratio: number;
  perRound: number[];
}

/** Runs `first` then `second`, `rounds` times, and returns both series and their ratio. */
export async function alternate<A, B>(
  rounds: number,
  first: () => Promise<A>,
  second: () => Promise<B>,
  figure: { first: (a: A) => number; second: (b: B) => number },
): Promise<{ first: A[]; second: B[]; compared: Compared }> {
  const a: A[] = [];
  const b: B[] = [];
  for (let round = 0; round < rounds; round++) {
    a.push(await first());
    b.push(await second());
  }
  const perRound = a.map((one, i) => {
    const other = figure.second(b[i] as B);
    return other > 0 ? figure.first(one) / other : Number.NaN;
  });
  return { first: a, second: b, compared: { ratio: median(perRound), perRound } };
}

export function formatRatio({ ratio, perRound }: Compared): string {
  const each = perRound.map((r) => r.toFixed(2)).join(", ");
  return `${Number.isFinite(ratio) ? ratio.toFixed(2) : "n/a"} (rounds: ${each})`;
}
