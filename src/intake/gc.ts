// A refused large body leaves up to 25 MB of socket buffers behind. V8 returns such
// external memory only when its own heuristic gets round to a full collection, so a few
// forged uploads in a row could stack their garbage: collect right away instead. Only
// refusals of bodies over 1 MB pay for it, and they are one at a time (one large slot).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
