/** Internal: "did you mean" suggestions for keys and view names. */

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

const normalise = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
const initials = (s: string) =>
  s
    .split(/[-_]|(?<=[a-z])(?=[A-Z])/)
    .filter(Boolean)
    .map((w) => w[0]!.toLowerCase())
    .join('');

/**
 * How close `candidate` is to what the user typed (lower is closer), or `undefined` when it is not
 * close: same letters ignoring case, `_` and `-` (`batchsize` / `batch_size`), initials (`lr` /
 * `learning_rate`), or a small edit distance (at most a third of the length, and at most 3).
 */
export function closeness(typed: string, candidate: string): number | undefined {
  if (typed === candidate) return undefined;
  if (normalise(typed) === normalise(candidate)) return 0;
  if (typed.length >= 2 && typed.toLowerCase() === initials(candidate) && /[-_A-Z]/.test(candidate)) return 1;
  const distance = editDistance(normalise(typed), normalise(candidate));
  return distance <= Math.min(3, Math.max(1, Math.floor(Math.max(typed.length, candidate.length) / 3)))
    ? 1 + distance
    : undefined;
}

/** Candidates close to `typed`, closest first. */
export function suggest(typed: string, candidates: Iterable<string>): string[] {
  const scored: [string, number][] = [];
  for (const c of candidates) {
    const score = closeness(typed, c);
    if (score !== undefined) scored.push([c, score]);
  }
  return scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).map(([c]) => c);
}

/** All candidates, closest to `typed` first (by edit distance), for "available: ..." lists. */
export function rankAll(typed: string, candidates: Iterable<string>): string[] {
  return [...candidates]
    .map((c) => [c, closeness(typed, c) ?? 10 + editDistance(typed, c)] as const)
    .sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]))
    .map(([c]) => c);
}
