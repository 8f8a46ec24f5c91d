// Bounded concurrency for I/O-bound work: `fn` over `items` with at most `width` calls in
// flight, results in input order. Reads and gate queries overlap, but a huge list cannot
// open thousands of descriptors or requests at once.
export async function pooled<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
