// A process that takes a lock `rounds` times and logs entering and leaving it, for the
// mutual-exclusion test in test/git/lock.test.ts: node --import tsx lock-child.ts LOCK LOG ROUNDS
import { appendFileSync } from 'node:fs';
import { acquireLock } from '../../src/git/lock.ts';

const [file, log, rounds] = process.argv.slice(2);
for (let i = 0; i < Number(rounds); i++) {
  const lock = await acquireLock(file, { what: `lock-child round ${i}`, timeoutMs: 20_000 });
  appendFileSync(log, `in ${process.pid}\n`);
  await new Promise((r) => setTimeout(r, 5));
  appendFileSync(log, `out ${process.pid}\n`);
  await lock.release();
}
