// Work done beside git's processes (a commit, a push) must let the event loop turn often:
// each turn is where the callback of a git process that ended runs and starts the next.

/** How long such work runs between two turns of the event loop. (A count of 64 entries a
 *  turn held git's next process back by 20 to 100 ms on a busy machine.) */
export const SLICE_MS = 3;

/** Returns a check to await between two items of work: it yields to the event loop once
 *  the current slice has run SLICE_MS. */
export function slices(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < SLICE_MS) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      since = performance.now();
    });
  };
}
