// The reconcile loop never runs two passes at once; what is asked for meanwhile becomes
// one more pass right after, covering every request.
import { describe, expect, it } from 'vitest';
import { startReconciler } from '../../src/bot/reconcile/loop.ts';
import { newReconcileMemo } from '../../src/bot/reconcile/run.ts';
import type { BotDeps, Scope } from '../../src/bot/types.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('reconcile loop', () => {
  it('queues one pass behind the running one and merges what was asked meanwhile', async () => {
    const lines: Array<{ obj: unknown; msg?: string }> = [];
    const log = { ...quiet, info: (obj: unknown, msg?: string) => void lines.push({ obj, msg }) };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let passes = 0;
    let active = 0;
    let most = 0;
    const scope = {
      log,
      async configRepos() {
        passes++;
        most = Math.max(most, ++active);
        if (passes === 1) await gate;
        active--;
        return [];
      },
    } as unknown as Scope;
    const deps = { log, clock: { now: () => new Date(0) } } as unknown as BotDeps;
    const r = startReconciler({ deps, scopes: async () => [scope], intervalMs: 0, memo: newReconcileMemo() });
    const first = r.run(['ghcr.io/acme/a']);
    await new Promise((res) => setTimeout(res, 10));
    const second = r.run(['ghcr.io/acme/b']);
    const third = r.run(['ghcr.io/acme/c']);
    expect(third).toBe(second);
    release();
    await Promise.all([first, second]);
    expect(passes).toBe(2);
    expect(most).toBe(1);
    const done = lines.filter((l) => l.msg === 'reconcile pass done').map((l) => (l.obj as { images?: string[] }).images);
    expect(done).toEqual([['ghcr.io/acme/a'], ['ghcr.io/acme/b', 'ghcr.io/acme/c']]);
    r.stop();
  });
});
