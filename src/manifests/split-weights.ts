// Route weights as proportions. Gateway API and Istio (1.15 and later) both read a
// rule's weights relative to the rule's total, so 9/1, 90/10 and 900/100 are the same
// split. The bot writes rules that total 100 (valid for every Istio release, and a
// reviewer reads them as percents); these are the integer rounding rules it uses.
//
// Arithmetic is in integers over the rule's total, so no float rounding can tip a
// share over a boundary: weights are at most 2^31 (Istio's int32), a share's numerator
// is at most 100 * 2^31 * (number of backends), far below 2^53.

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);

/** floor(a / b) for non-negative integers, exact. */
function div(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/**
 * Largest remainder (Hamilton) rounding: `nums[i] / den` rounded down, then the units
 * still missing up to `total` go one each to the largest remainders (ties: lower index).
 * Each result is the floor or the ceiling of its exact value, provided
 * sum(floors) <= total <= sum(ceilings); callers guarantee that.
 */
export function largestRemainder(nums: readonly number[], den: number, total: number): number[] {
  const floors = nums.map((n) => div(n, den));
  const rems = nums.map((n, i) => n - floors[i] * den);
  let missing = total - sum(floors);
  const order = rems
    .map((r, i) => [r, i] as const)
    .filter(([r]) => r > 0)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (missing <= 0) break;
    floors[i]++;
    missing--;
  }
  return floors;
}

/** Whole percents of `weights` (total > 0) that add up to 100, each within one point
 *  of its exact share. A total of 100 gives the weights back unchanged. */
export function percents(weights: readonly number[]): number[] {
  return largestRemainder(weights.map((w) => 100 * w), sum(weights), 100);
}

export type Rescaled = { stable: number; others: number[] } | { available: number };

/**
 * Integer weights totalling 100 that give the canary `canary` percent and every other
 * backend its current share `100 * w / total`, moved by less than one point:
 * largest-remainder rounding over the stable and the others, which share `100 - canary`.
 * The stable takes whatever the others leave, so it is the one whose share changes.
 * When the others' exact shares already exceed `100 - canary`, the stable gets 0 and
 * the others round down (still within a point) as far as that makes room; when even
 * their floors do not fit, `available` says the largest canary share that would.
 * With a total of 100 the others keep their weights exactly.
 */
export function rescale(total: number, others: readonly number[], canary: number): Rescaled {
  const rest = 100 - canary;
  const nums = others.map((w) => 100 * w);
  const floors = sum(nums.map((n) => div(n, total)));
  if (floors > rest) return { available: 100 - floors };
  const stableNum = rest * total - sum(nums);
  if (stableNum >= 0) {
    const [stable, ...rounded] = largestRemainder([stableNum, ...nums], total, rest);
    return { stable, others: rounded };
  }
  return { stable: 0, others: largestRemainder(nums, total, rest) };
}
