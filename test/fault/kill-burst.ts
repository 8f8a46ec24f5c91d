// Fault suite: kill -9 in the middle of a burst of release webhooks, restart, and check
// that one reconcile pass leaves the config repo exactly as applying every event one by
// one would: nothing lost, nothing applied twice, git intact, no lock left behind.
//
//   tsx test/fault/kill-burst.ts [--mode local|github|both] [--runs 20] [--events 100] [--kill-within MS]
//
// Local mode runs the bot as `npm start` does (kill-local.ts); GitHub mode runs it as a
// GitHub App against the GitHub double (kill-github.ts). Prints a line per run and the
// totals per mode; exits 1 when any run lost, doubled or broke something.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { githubMode } from './kill-github.ts';
import { canaryOf, inspectRepo, killAll, killBot, locksUnder, shuffle, stopBot, untilLogged } from './kill-kit.ts';
import { localMode } from './kill-local.ts';
import type { KillMode } from './kill-mode.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const MODES: Record<string, KillMode[]> = { local: [localMode], github: [githubMode], both: [localMode, githubMode] };
const modes = MODES[option('mode', 'both')];
if (!modes) {
  console.error(`--mode must be local, github or both`);
  process.exit(2);
}
const runs = Number(option('runs', '20'));
const events = Number(option('events', '100'));
/** Kill within this many ms of the burst; each mode's own window by default. */
const killWithin = Number(option('kill-within', '0'));
const tags = Array.from({ length: events }, (_, i) => `v0.2.${i + 1}`);

/** Runs one mode; returns how many runs failed. */
async function suite(mode: KillMode, work: string): Promise<number> {
  const started = Date.now();
  let failures = 0;
  const totals = { answered: 0, lost: 0, doubled: 0, fsck: 0, locks: 0, problems: 0 };
  // 1. The serial result: every event applied one after the other, no faults.
  const refDir = path.join(work, 'reference');
  mkdirSync(refDir);
  const ref = await mode.reference(refDir, tags);
  const expected = inspectRepo(ref.repo, ref.ref).tree;
  const refSecs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${mode.name} mode, serial reference (${ref.how}, ${refSecs} s): ${events} events -> canary ${canaryOf(ref.repo, ref.ref)}, tree ${expected.slice(0, 12)}`);
  await ref.close();

  for (let run = 1; run <= runs; run++) {
    const dir = path.join(work, `run-${run}`);
    mkdirSync(dir);
    const arena = await mode.prepare(dir, tags);
    try {
      // 2. A burst, all at once in a random order, and kill -9 at a random moment.
      const bot = await arena.start('0');
      const killAt = Math.floor(Math.random() * (killWithin || mode.killWindowMs));
      const answers = shuffle(tags).map((t, i) => arena.release(bot, t, `run${run}-${i}`));
      await new Promise((r) => setTimeout(r, killAt));
      const interrupted = await killBot(bot);
      const statuses = await Promise.all(answers);
      const answered = statuses.filter((s) => s >= 200 && s < 300).length;
      // 3. Restart: the pass at start reconciles from the source.
      const again = await arena.start('1h');
      await untilLogged(again, 'reconcile pass done', 120_000);
      await stopBot(again);
      // 4. Compare with the serial result.
      const { tree, applied, fsckOk } = inspectRepo(arena.configRepo, arena.ref);
      const doubled = applied.length - new Set(applied).size;
      const locks = arena.lockRoots.flatMap(locksUnder);
      const problems = arena.problems();
      const lost = tree === expected ? 0 : 1;
      // what the restarted bot said of its reconcile pass: why a run lost something
      if (lost) console.log(`${mode.name} run ${run}: the restarted bot's log:\n${again.output().split('\n').filter((l) => /reconcil|error|fail/i.test(l)).slice(-40).join('\n')}`);
      const ok = lost === 0 && doubled === 0 && fsckOk && locks.length === 0 && problems.length === 0;
      if (!ok) failures++;
      totals.answered += answered;
      totals.lost += lost;
      totals.doubled += doubled;
      totals.fsck += fsckOk ? 0 : 1;
      totals.locks += locks.length;
      totals.problems += problems.length;
      console.log(
        `${mode.name} run ${String(run).padStart(2)}: kill -9 after ${String(killAt).padStart(5)} ms (${interrupted.length ? `git ${interrupted.join(', ')} cut off` : 'no git running'}), ` +
          `${String(answered).padStart(3)} of ${events} answered 2xx, ${applied.length} release commits, ` +
          `${lost ? `tree DIFFERS (canary ${canaryOf(arena.configRepo, arena.ref)})` : 'tree equals the serial result'}, ` +
          `${doubled} doubled, fsck ${fsckOk ? 'clean' : 'FAILED'}, ${locks.length ? `stale locks: ${locks.join(', ')}` : 'no stale lock'}` +
          (problems.length ? `, ${problems.length} API problems:\n  ${problems.join('\n  ')}` : ''),
      );
    } finally {
      await arena.close();
    }
  }
  const secs = Math.round((Date.now() - started) / 1000);
  console.log(
    `${mode.name} mode, ${runs} runs of ${events} events in ${secs} s: ${totals.answered} answered 2xx before the kill; ` +
      `lost ${totals.lost}, doubled ${totals.doubled}, fsck failures ${totals.fsck}, stale locks ${totals.locks}${mode.name === 'github' ? `, API problems ${totals.problems}` : ''}`,
  );
  return failures;
}

const work = mkdtempSync(path.join(tmpdir(), 'fault-kill-'));
let failures = 0;
try {
  for (const mode of modes) {
    const dir = path.join(work, mode.name);
    mkdirSync(dir);
    failures += await suite(mode, dir);
  }
  const total = runs * modes.length;
  console.log(`${total - failures} passed, ${failures} failed`);
} finally {
  killAll();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
