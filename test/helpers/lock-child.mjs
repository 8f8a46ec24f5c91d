// A process that takes a lock `rounds` times and logs entering and leaving it, for the
// mutual-exclusion test in test/git/lock.test.ts: node lock-child.mjs LOCK LOG ROUNDS
// Runs the build in dist/ (the test suite's global setup rebuilds it when a source is
// newer): ~0.3 s to start against ~1.2 s for the sources through tsx.
import { appendFileSync } from 'node:fs';
import { acquireLock } from '../../dist/git/lock.js';

const [file, log, rounds] = process.argv.slice(2);
for (let i = 0; i < Number(rounds); i++) {
  const lock = await acquireLock(file, { what: `lock-child round ${i}`, timeoutMs: 20_000 });
  appendFileSync(log, `in ${process.pid}\n`);
  await new Promise((r) => setTimeout(r, 5));
  appendFileSync(log, `out ${process.pid}\n`);
  await lock.release();
}
