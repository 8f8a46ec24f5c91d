// `status --watch`: prints again every interval, each time from the upstream as the bot
// left it (fetched and fast-forwarded when the checkout is clean), until interrupted.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.ts';
import { configRepo, exampleFiles, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git, gitEnv } from '../../helpers/git-remote.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/gitops-canary.mjs');
const VS = 'apps/podinfo/virtual-service.yaml';

let repo: ConfigRepo | undefined;

afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

/** The VirtualService with the canary at `pct` percent. */
function weighted(vs: string, pct: number): string {
  return replaceExactly(replaceExactly(vs, 'weight: 100', `weight: ${100 - pct}`), 'weight: 0', `weight: ${pct}`);
}

/** Runs `status --watch` in-process; between prints, `between(n)` runs (the n-th wait). */
async function watch(r: ConfigRepo, extra: string[], between: (n: number) => Promise<void>) {
  const out: string[] = [];
  const err: string[] = [];
  let waits = 0;
  const intervals: number[] = [];
  const code = await main(['status', '--watch', ...extra, '--repo', r.dir], { log: (s) => out.push(s), err: (s) => err.push(s) }, {
    wait: async (ms) => {
      intervals.push(ms);
      await between(++waits);
    },
  });
  return { code, out, err, intervals };
}

describe('status --watch', { timeout: 60_000 }, () => {
  it('prints every interval, each time as the upstream stands, and stops after --count prints', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const r = repo;
    const w = await watch(r, ['--interval', '2s', '--count', '3'], async (n) => {
      // someone (the bot, say) pushes between the prints
      if (n === 1) await r.remote.commitOnRemote({ [VS]: weighted(seed[VS], 10) }, 'canary 10');
      if (n === 2) await r.remote.commitOnRemote({ [VS]: weighted(seed[VS], 60) }, 'canary 60');
    });
    expect(w.code).toBe(0);
    expect(w.err).toEqual([]);
    expect(w.intervals).toEqual([2000, 2000]);
    expect(w.out).toHaveLength(3);
    w.out.forEach((text, i) => {
      expect(text.split('\n')[i === 0 ? 0 : 1]).toMatch(/^gitops-canary status, every 2s \(Ctrl-C to stop\): \d{4}-\d\d-\d\dT/);
      expect(text).toContain(['stable 100% / canary 0%', 'stable 90% / canary 10%', 'stable 40% / canary 60%'][i]);
    });
    // the clean checkout was brought up to its upstream
    expect(await r.read(VS)).toBe(weighted(seed[VS], 60));
  });

  it('with --json, one JSON document a line', async () => {
    repo = await configRepo();
    const w = await watch(repo, ['--json', '--count', '2', '--interval', '1'], async () => undefined);
    expect(w.code).toBe(0);
    expect(w.intervals).toEqual([1000]);
    expect(w.out).toHaveLength(2);
    for (const line of w.out) {
      expect(line).not.toContain('\n');
      expect(JSON.parse(line)).toEqual([expect.objectContaining({ app: 'podinfo', weights: expect.objectContaining({ stable: 100, canary: 0 }) })]);
    }
  });

  it('a checkout with uncommitted work is shown as it is, said once, and left alone', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const r = repo;
    const mine = `${seed['apps/podinfo/service.yaml']}# mine\n`;
    await writeFile(path.join(r.dir, 'apps/podinfo/service.yaml'), mine);
    const w = await watch(r, ['--interval', '1s', '--count', '3'], async (n) => {
      if (n === 1) await r.remote.commitOnRemote({ [VS]: weighted(seed[VS], 10) }, 'canary 10');
    });
    expect(w.code).toBe(0);
    expect(w.err).toEqual([expect.stringMatching(/^gitops-canary: showing the checkout as it is, not updated from its upstream: .*uncommitted changes/)]);
    for (const text of w.out) expect(text).toContain('stable 100% / canary 0%');
    expect(await r.read('apps/podinfo/service.yaml')).toBe(mine);
    expect(await r.read(VS)).toBe(seed[VS]);
  });

  it('runs until interrupted: the bin prints again and again, and Ctrl-C ends it with exit 0', async () => {
    repo = await configRepo();
    const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '200ms'], { cwd: repo.dir, env: gitEnv() });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no second print in time:\n${stdout}\n${stderr}`)), 45_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        if ((stdout.match(/^gitops-canary status, every 0\.2s/gm) ?? []).length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('stable 100% / canary 0%');
  });

  it('still takes the checkout\'s lock only while it reads', async () => {
    repo = await configRepo();
    const r = repo;
    let during: { code: number; err: string } | undefined;
    const w = await watch(r, ['--count', '2', '--interval', '1s', '--lock-timeout', '0'], async () => {
      // a change from another terminal while the watch waits: not kept waiting
      const out: string[] = [];
      const code = await main(['set-weight', 'podinfo', '10', '--repo', r.dir, '--lock-timeout', '0'], { log: (s) => out.push(s), err: (s) => out.push(s) });
      during = { code, err: out.join('\n') };
    });
    expect(w.code).toBe(0);
    expect(during?.code).toBe(0);
    expect(w.out[1]).toContain('stable 90% / canary 10%');
    expect(await git(r.dir, 'status', '--porcelain')).toBe('');
  });
});
