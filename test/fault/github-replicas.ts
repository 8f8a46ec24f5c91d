// Issue 9, "safe concurrency" on GitHub: two and three bot processes in GitHub mode on
// one config repo in the GitHub double, with a WORK_DIR each or one shared, each
// answering a share of an interleaved burst of releases. Nothing may be lost, the result
// must be what one bot handling the tags in order produces, no tag may go backwards, and
// the repo and the clones must stay healthy.
//
//   tsx test/fault/github-replicas.ts
//
// A script of the fault suite rather than a vitest file: each case takes about 15 s,
// mostly its bots waiting to post commit statuses, which Octokit spaces a second apart
// per process as GitHub asks; side by side on two cores they starve each other. Prints a
// line per case and the totals; exits 1 when any case lost or broke something.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GitHubDouble } from '../github-double/index.ts';
import { OWNER, postWebhook } from '../helpers/app.ts';
import type { BotProcess } from '../helpers/bot-process.ts';
import { git } from '../helpers/git-remote.ts';
import { CONFIG, contractProblems, githubBotEnv, releaseOf, serialOnGitHub, startSourceDouble } from './github-fixture.ts';
import { gitIn, SECRET, settled, startBots } from './replicas.ts';

const TAGS = Array.from({ length: 30 }, (_, i) => `v0.2.${i + 1}`);
const NEXT = 'v0.2.31';
const CASES = [
  { n: 2, workDirs: 'one WORK_DIR' },
  { n: 2, workDirs: 'a WORK_DIR each' },
  { n: 3, workDirs: 'one WORK_DIR' },
  { n: 3, workDirs: 'a WORK_DIR each' },
] as const;

/** Lock, breaker and message files a job leaves behind when it does not clean up. */
async function leftovers(workDir: string): Promise<string[]> {
  const names = [...(await readdir(path.join(workDir, OWNER))), ...(await readdir(path.join(workDir, OWNER, CONFIG, '.git')))];
  return names.filter((f) => /\.lock$|\.break$|\.tmp$|GITOPS_CANARY_MSG/.test(f));
}

const canary = async (repo: string) => (await gitIn(repo, 'show', 'main:apps/podinfo/canary-dep.yaml')).match(/podinfo:([\w.]+)/)?.[1];

interface CaseResult {
  line: string;
  lost: number;
  problems: string[];
}

async function replicas(gh: GitHubDouble, dir: string, n: number, workDirs: string, expected: string, running: BotProcess[]): Promise<CaseResult> {
  const problems: string[] = [];
  const works = Array.from({ length: n }, (_, i) => path.join(dir, workDirs === 'one WORK_DIR' ? 'work' : `work-${i}`));
  const envs = await Promise.all(works.map((workDir, i) => githubBotEnv(gh, dir, { workDir, secret: SECRET, key: `app-${i}.pem` })));
  const bots = await startBots(n, (i) => envs[i]);
  running.push(...bots);
  const post = (bot: BotProcess, tag: string) => postWebhook(bot.base, 'release', releaseOf(gh, tag), { secret: SECRET }).catch(() => ({ status: 0, body: '' }));

  // 1. The burst, dealt round-robin, all at once.
  const started = Date.now();
  const answers = await Promise.all(TAGS.map((tag, i) => post(bots[i % n], tag)));
  const f = await settled(bots, answers);
  const ms = Date.now() - started;
  // a 202 is an answer: the bot took the event and goes on with it
  const accepted = answers.filter((a) => a.status === 202).length;
  const unanswered = answers.filter((a) => a.status !== 200 && a.status !== 202).length;
  const unfinished = TAGS.length - f.committed - f.superseded - f.failed;
  const lost = f.failed + unanswered + unfinished;
  if (lost) problems.push(`${f.failed} failed, ${unanswered} not answered 2xx, ${unfinished} never finished`);

  // 2. The result: the serial tree, every bot commit one tag moving forward.
  const repo = gh.bareDir(OWNER, CONFIG);
  const tree = (await gitIn(repo, 'rev-parse', 'main^{tree}')).trim();
  if (tree !== expected) problems.push(`tree differs from the serial result (canary ${await canary(repo)})`);
  const tags = (await gitIn(repo, 'log', '--format=%(trailers:key=Gitops-Canary-Tag,valueonly)', 'main')).split('\n').filter(Boolean);
  const order = tags.map((t) => Number(t.split('.')[2])).reverse();
  if (order.some((t, i) => i > 0 && t <= order[i - 1])) problems.push(`tags not strictly moving forward: ${order.join(' ')}`);
  if (tags.length !== f.committed) problems.push(`${tags.length} release commits on main, ${f.committed} reported committed`);
  for (const sha of f.commits) {
    if (!(await gitIn(repo, 'merge-base', '--is-ancestor', sha, 'main').then(() => true, () => false))) problems.push(`reported commit ${sha} is not on main`);
  }

  // 3. No wedge: a person's push and one more release still land.
  await gh.pushAsUser(OWNER, CONFIG, { 'NOTES.md': 'a person was here\n' }, 'a person was here');
  const next = await post(bots[0], NEXT);
  if (next.status !== 200 || (await canary(repo)) !== '0.2.31') problems.push(`${NEXT} after a person's push: answered ${next.status}, canary ${await canary(repo)}`);
  if ((await gitIn(repo, 'log', '-1', '--skip=1', '--format=%s', 'main')) !== 'a person was here\n') problems.push(`the person's commit is not right below ${NEXT}'s`);

  // 4. Health: git, the API contract, the clones once the bots are gone.
  const fsckOk = await gitIn(repo, 'fsck', '--strict', '--no-progress').then(() => true, () => false);
  if (!fsckOk) problems.push('fsck --strict failed');
  problems.push(...contractProblems(gh));
  await Promise.all(running.splice(0).map((b) => b.stop()));
  for (const w of new Set(works)) {
    const status = await git(path.join(w, OWNER, CONFIG), 'status', '--porcelain');
    if (status) problems.push(`clone in ${path.basename(w)} not clean: ${status.trim()}`);
    const left = await leftovers(w);
    if (left.length) problems.push(`left in ${path.basename(w)}: ${left.join(', ')}`);
  }

  const asked = (op: string) => gh.requests.filter((q) => q.operationId === op).length;
  const line =
    `${n} processes, ${workDirs.padEnd(15)}: ${TAGS.length} sent, ${f.answered200} answered 200 and ${accepted} 202, ${f.committed} committed, ${f.superseded} superseded, ${lost} lost, ` +
    `${tree === expected ? 'tree equals the serial result' : 'tree DIFFERS'}, fsck ${fsckOk ? 'clean' : 'FAILED'}, in ${ms} ms; ` +
    `API: ${asked('apps/create-installation-access-token')} tokens minted, ${asked('apps/list-repos-accessible-to-installation')} repo listings, ${asked('repos/get-content')} config probes`;
  return { line, lost, problems };
}

const root = await mkdtemp(path.join(tmpdir(), 'fault-github-replicas-'));
let failures = 0;
let lostTotal = 0;
try {
  const began = Date.now();
  const serial = await serialOnGitHub(TAGS);
  const expected = (await gitIn(serial.repo, 'rev-parse', 'main^{tree}')).trim();
  console.log(`serial reference (one GitHub-mode bot in this process, ${((Date.now() - began) / 1000).toFixed(1)} s): ${TAGS.length} events -> canary ${await canary(serial.repo)}, tree ${expected.slice(0, 12)}`);
  await serial.close();

  for (const { n, workDirs } of CASES) {
    const gh = await startSourceDouble([...TAGS, NEXT]);
    const dir = await mkdtemp(path.join(root, 'case-'));
    const running: BotProcess[] = [];
    let result: CaseResult;
    try {
      result = await replicas(gh, dir, n, workDirs, expected, running);
    } catch (err) {
      result = { line: `${n} processes, ${workDirs}: FAILED`, lost: 0, problems: [(err as Error).stack ?? String(err)] };
    } finally {
      await Promise.all(running.map((b) => b.stop()));
      await gh.close();
    }
    if (result.problems.length) failures++;
    lostTotal += result.lost;
    console.log(result.line + result.problems.map((p) => `\n  ${p}`).join(''));
  }
  console.log(`${CASES.length} replica cases of ${TAGS.length} events in ${Math.round((Date.now() - began) / 1000)} s: lost ${lostTotal}`);
  console.log(`${CASES.length - failures} passed, ${failures} failed`);
} finally {
  await rm(root, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
