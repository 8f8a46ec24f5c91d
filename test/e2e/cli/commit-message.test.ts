// `commitMessage` templates in the commits people and the bot make: the CLI's changes, the
// bot's release and its scheduled steps. Trailers always come last, and a templated commit
// rolls back like any other.
import { afterEach, describe, expect, it } from 'vitest';
import { tickApp } from '../../../src/bot/tick/tick.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { rolloutConfig, setup, weightsOf, type Env } from '../rollout/fixture.ts';

const CONFIG = '.github/gitops-canary.yml';
const TEMPLATE = [
  'commitMessage: |',
  '  {{app}}: {{action}} {{tag}}{{weights}}',
  '',
  '  {{title}}',
  '  {{#edits}}',
  '  * {{file}} {{field}}: {{old}} => {{new}}',
  '  {{/edits}}',
];

let repo: ConfigRepo | undefined;
let env: Env | undefined;

afterEach(async () => {
  await repo?.cleanup();
  await env?.cleanup();
  repo = env = undefined;
});

/** The message's paragraphs, the trailer paragraph last. */
function paragraphs(message: string): string[] {
  return message.trimEnd().split('\n\n');
}

describe('commitMessage in the CLI\'s commits', { timeout: 60_000 }, () => {
  it('renders the top-level template, appends the edit lines and trailers, and rolls back as ever', async () => {
    const seed = await exampleFiles();
    repo = await configRepo({ ...seed, [CONFIG]: [...TEMPLATE, seed[CONFIG]].join('\n') });
    expect((await repo.run('set-weight', 'podinfo', '10')).code).toBe(0);
    const [commit] = await repo.remoteLog();
    const [subject, body, edits, trailers] = paragraphs(commit.message);
    expect(subject).toBe('podinfo: set-weight stable=90,canary=10');
    expect(body).toBe([
      'podinfo: canary weight 0% → 10%',
      '* apps/podinfo/virtual-service.yaml spec.http[primary].route[0].weight: 100 => 90',
      '* apps/podinfo/virtual-service.yaml spec.http[primary].route[1].weight: 0 => 10',
    ].join('\n'));
    // what rollbacks read back, in the bot's own words, since the template leaves it out
    expect(edits).toMatch(/^- apps\/podinfo\/virtual-service\.yaml VirtualService\/\S+ spec\.http\[primary\]\.route\[0\]\.weight: 100 -> 90\n- /);
    expect(trailers.split('\n').every((l) => l.startsWith('Gitops-Canary-'))).toBe(true);
    expect(commit.trailers).toMatchObject({ App: 'podinfo', Action: 'set-weight', Weights: 'stable=90,canary=10' });

    expect((await repo.run('rollback', 'podinfo')).code).toBe(0);
    const after = await remoteSnapshot(repo.remote);
    expect(after['apps/podinfo/virtual-service.yaml']).toBe(seed['apps/podinfo/virtual-service.yaml']);
    // a revert keeps git's own form: the template is for changes
    expect((await repo.remoteLog())[0].subject).toBe('podinfo: roll back "podinfo: set-weight stable=90,canary=10"');
  });

  it('an app\'s own template wins over the top-level one, for promote and abort too', async () => {
    const seed = await exampleFiles();
    const own = replaceExactly(seed[CONFIG], '    delivery: commit\n', '    delivery: commit\n    commitMessage: "[{{app}}] {{action}} step {{step}} by the CLI"\n');
    repo = await configRepo({ ...seed, [CONFIG]: [...TEMPLATE, own].join('\n') });
    expect((await repo.run('promote', 'podinfo')).code).toBe(0);
    expect((await repo.remoteLog())[0].subject).toBe('[podinfo] set-weight step 1/3 by the CLI');
    expect((await repo.run('abort', 'podinfo')).code).toBe(0);
    const [aborted] = await repo.remoteLog();
    expect(aborted.subject).toBe('[podinfo] abort step by the CLI');
    expect(aborted.trailers).toMatchObject({ App: 'podinfo', Action: 'abort', Weights: 'stable=100,canary=0' });
  });

  it('a config whose template names an unknown field stops every change with the field named', async () => {
    const seed = await exampleFiles();
    repo = await configRepo({ ...seed, [CONFIG]: ['commitMessage: "{{app}} {{tga}}"', seed[CONFIG]].join('\n') });
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${CONFIG}:1 commitMessage: unknown placeholder {{tga}} (did you mean {{tag}}?)`);
    expect((await repo.remoteLog()).length).toBe(1);
  });
});

describe('commitMessage in the bot\'s commits', { timeout: 120_000 }, () => {
  it('the release that starts a rollout and the scheduled step after the bake', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h' });
    await env.remote.commitOnRemote({ [CONFIG]: [...TEMPLATE, rolloutConfig({ steps: [10, 50, 100], bake: '1h' })].join('\n') }, 'commit message template');
    await env.release('0.2.1');
    const [release] = await env.remote.log();
    expect(release.subject).toBe('podinfo: release 0.2.1stable=90,canary=10');
    expect(release.message).toContain('\n\npodinfo: canary 0.2.0 → 0.2.1');
    expect(release.message.trimEnd().split('\n\n').at(-1)).toMatch(/^Gitops-Canary-App: podinfo$/m);

    const clock = manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    clock.advance(60 * 60 * 1000);
    const deps = env.replica(clock);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
    expect(weightsOf(await env.vs())).toEqual({ stable: 50, canary: 50 });
    const [step] = await env.remote.log();
    expect(step.subject).toBe('podinfo: set-weight 0.2.1stable=50,canary=50');
    const parts = paragraphs(step.message);
    // the scheduler's reason for the step still ends the body, before the trailers
    expect(parts.at(-2)).toMatch(/^step 1\/3 \(10%\) baked 1h/);
    expect(parts[1]).toMatch(/^podinfo: 0\.2\.1 step 2\/3 .*\n\* apps\/podinfo\/virtual-service\.yaml spec\.http\[primary\]\.route\[0\]\.weight: 90 => 50\n/);
    expect(parts.at(-1)).toMatch(/^Gitops-Canary-App: podinfo$/m);
  });
});
