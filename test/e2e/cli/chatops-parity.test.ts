// A CLI user can do what a ChatOps user can, with the same result: the same commands run
// side by side on two copies of one config repo (ChatOps through the bot on one, the CLI
// in a person's clone of the other) leave the same files, subjects and trailers.
import { afterEach, describe, expect, it } from 'vitest';
import { handleComment } from '../../../src/bot/commands.ts';
import { systemClock } from '../../../src/rollout/clock.ts';
import { cli, remoteSnapshot } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';
import { setup, weightsOf, type Env } from '../rollout/fixture.ts';

// who asked, when and from where: the only trailers allowed to differ
const PERSONAL = ['Promoted-By', 'Requested-By', 'Committed-By', 'At', 'Replica'];

let envs: Env[] = [];

afterEach(async () => {
  for (const e of envs) await e.cleanup();
  envs = [];
});

interface Pair {
  chatops: Env;
  cli: Env;
  clone: string;
  /** Runs `/canary <words>` on one copy and `gitops-canary <argv>` on the other, then compares. */
  both(words: string, argv: string[]): Promise<void>;
}

async function pair(): Promise<Pair> {
  const opts = { steps: [10, 50, 100], bake: '1h', approval: 'none' as const };
  const chatops = await setup(opts);
  const other = await setup(opts);
  envs.push(chatops, other);
  await chatops.release('0.2.1');
  await other.release('0.2.1');
  const clone = await other.remote.clone();
  await git(clone, 'config', 'user.name', 'Test User');
  await git(clone, 'config', 'user.email', 'user@example.com');
  const deps = chatops.replica(systemClock);
  return {
    chatops,
    cli: other,
    clone,
    async both(words, argv) {
      expect(await handleComment(deps, chatops.scope, { repo: chatops.repo, issue: 1, user: 'alice', body: `/canary ${words}` })).toBe('ran');
      const r = await cli([...argv, '--repo', clone]);
      expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code: 0, err: '' });
      expect(await remoteSnapshot(other.remote)).toEqual(await remoteSnapshot(chatops.remote));
      const [a] = await chatops.remote.log();
      const [b] = await other.remote.log();
      expect(b.subject).toBe(a.subject);
      // a revert names its commit by sha, which differs between the copies: compare its subject
      const impersonal = async (env: Env, m: string) => {
        const lines = m.split('\n').filter((l) => l.startsWith('Gitops-Canary-') && !PERSONAL.some((k) => l.startsWith(`Gitops-Canary-${k}:`)));
        return Promise.all(lines.map(async (l) => (l.startsWith('Gitops-Canary-Reverts: ') ? `reverts "${(await git(env.remote.bare, 'log', '-1', '--format=%s', l.split(' ')[1])).trim()}"` : l)));
      };
      expect(await impersonal(other, b.message)).toEqual(await impersonal(chatops, a.message));
    },
  };
}

describe('the CLI does what /canary does', { timeout: 180_000 }, () => {
  it('promote step by step to promotion, with pause and resume between', async () => {
    const p = await pair();
    await p.both('promote podinfo', ['promote', 'podinfo']);
    expect(weightsOf(await p.cli.vs())).toEqual({ stable: 50, canary: 50 });
    expect((await p.cli.remote.log())[0].message).toMatch(/^Gitops-Canary-Promoted-By: Test User <user@example\.com>$/m);
    await p.both('pause podinfo', ['pause', 'podinfo']);
    expect((await p.cli.remote.log())[0].message).toMatch(/^Gitops-Canary-Action: pause$/m);
    await p.both('resume podinfo', ['resume', 'podinfo']);
    await p.both('promote podinfo', ['promote', 'podinfo']);
    expect(weightsOf(await p.cli.vs())).toEqual({ stable: 0, canary: 100 });
    // at the last step, promote makes the canary's tag stable and the weights go back
    await p.both('promote', ['promote']);
    expect(weightsOf(await p.cli.vs())).toEqual({ stable: 100, canary: 0 });
    expect(await p.cli.remote.readOnRemote('apps/podinfo/ga-dep.yaml')).toContain('ghcr.io/example/podinfo:0.2.1');
  });

  it('abort takes the canary to 0 and removes the A/B route, as /canary abort does', async () => {
    const p = await pair();
    await p.both('ab podinfo header x-canary = yes', ['ab', 'podinfo', 'header', 'x-canary', '=', 'yes']);
    expect(await p.cli.vs()).toContain('gitops-canary-podinfo-ab');
    await p.both('abort podinfo', ['abort', 'podinfo']);
    expect(weightsOf(await p.cli.vs())).toEqual({ stable: 100, canary: 0 });
    expect(await p.cli.vs()).not.toContain('gitops-canary-podinfo-ab');
  });

  it('weight and rollback too', async () => {
    const p = await pair();
    await p.both('weight podinfo 30', ['set-weight', 'podinfo', '30']);
    await p.both('rollback podinfo', ['rollback', 'podinfo']);
    expect(weightsOf(await p.cli.vs())).toEqual({ stable: 90, canary: 10 });
  });
});
