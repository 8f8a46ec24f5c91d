// Routes an Argo Rollout or a Flagger Canary sets weights on, through the CLI against a
// real git remote: set-weight is refused naming the controller, a release still moves the
// Rollout's (or the Canary target's) image, and status shows the controller's own plan.
// Cases: test/fixtures/traffic-owners/<case>/{case.json, original/, expected/}.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, type ConfigRepo } from '../helpers/cli.ts';
import { git } from '../helpers/git-remote.ts';

const ROOT = fileURLToPath(new URL('../fixtures/traffic-owners/', import.meta.url));

interface Case {
  app: string;
  release: string;
  /** A Skipped code the release plan must carry (the weight step left to the controller). */
  releaseSkipped?: string;
  refusal: string;
  status: string[];
}

function filesOf(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, filesOf(dir, child));
    else out[child] = readFileSync(path.join(dir, child), 'utf8');
  }
  return out;
}

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

let repo: ConfigRepo | undefined;

afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

async function untouched(r: ConfigRepo, seed: Record<string, string>): Promise<void> {
  expect(await remoteSnapshot(r.remote)).toEqual(seed);
  expect(await r.remoteLog()).toHaveLength(1);
  expect(await git(r.dir, 'status', '--porcelain')).toBe('');
}

describe('routes owned by Argo Rollouts and Flagger', { timeout: 120_000 }, () => {
  it('finds every case', () => {
    expect(cases).toEqual(['argo-gateway-api-httproute', 'argo-istio-v1-virtualservices', 'argo-istio-v1beta1-virtualservice', 'flagger-canary-service']);
  });

  for (const name of cases) {
    it(name, async () => {
      const c = JSON.parse(readFileSync(path.join(ROOT, name, 'case.json'), 'utf8')) as Case;
      const seed = filesOf(path.join(ROOT, name, 'original'));
      repo = await configRepo(seed);

      // set-weight: refused, naming the controller, and nothing written anywhere
      const refused = await repo.run('set-weight', c.app, '10');
      expect(refused.code).toBe(1);
      expect(refused.err).toBe(c.refusal);
      await untouched(repo, seed);
      // dry runs and JSON output are refused alike
      expect((await repo.run('set-weight', c.app, '0', '--dry-run', '--json')).err).toBe(c.refusal);

      // status: the controller's own plan in place of the bot's steps, and a warning
      const status = await repo.run('status');
      expect(status.code).toBe(0);
      expect(status.out).toContain(c.status.join('\n'));
      expect(status.out).not.toContain('  rollout  ');
      expect(status.err).toMatch(/^gitops-canary: warning: \.github\/gitops-canary\.yml:\d+ apps\.podinfo\.traffic\.file: .* gets its weights from (Argo Rollout|Flagger Canary) /m);
      const json = JSON.parse((await repo.run('status', '--json')).out) as Array<Record<string, unknown>>;
      expect(json[0]).toMatchObject({ controller: { ownsRoute: true, steps: c.status.map((l) => l.slice(11)).slice(1) } });
      expect(json[0].rollout).toBeUndefined();

      // release: the workload's image moves, the route stays as it is
      const released = await repo.run('release', c.release, '--source', 'example/podinfo', '--json');
      expect(released.code).toBe(0);
      // the release names the owner once, as a warning of the config checks
      expect(released.err.split('\n')).toEqual([expect.stringMatching(/^gitops-canary: warning: \.github\/gitops-canary\.yml:\d+ apps\.podinfo\.traffic\.file: .* gets its weights from /)]);
      const result = JSON.parse(released.out) as { status: string; plan: { edits: Array<{ file: string; field: string }>; skipped: Array<{ code: string; reason: string }> } };
      expect(result.status).toBe('committed');
      expect(result.plan.edits.every((e) => e.field.endsWith('.image'))).toBe(true);
      if (c.releaseSkipped) {
        const skip = result.plan.skipped.find((s) => s.code === c.releaseSkipped);
        expect(skip?.reason).toBe(c.refusal.replace(/^gitops-canary: /, ''));
      }
      expect(await remoteSnapshot(repo.remote)).toEqual({ ...seed, ...filesOf(path.join(ROOT, name, 'expected')) });
      const [head] = await repo.remoteLog();
      expect(head.trailers).toMatchObject({ App: c.app, Action: 'release', Track: 'canary', Tag: '0.3.0' });
      // the weight step was left to the controller, so the scheduler sees no bot rollout
      expect(head.trailers.Step).toBeUndefined();
      expect(head.trailers.Weights).toBeUndefined();
    });
  }

  it('an app without a traffic section (the recommended setup) releases into the Rollout and shows its steps', async () => {
    const base = filesOf(path.join(ROOT, 'argo-istio-v1beta1-virtualservice', 'original'));
    const config = [
      'apps:',
      '  podinfo:',
      '    image: ghcr.io/example/podinfo',
      '    source: example/podinfo',
      '    tracks:',
      '      main: { filter: "semver:*", paths: ["apps/podinfo/rollout.yaml"] }',
      '    delivery: commit',
      '',
    ].join('\n');
    const seed = { ...base, '.github/gitops-canary.yml': config };
    repo = await configRepo(seed);
    const status = await repo.run('status');
    expect(status).toMatchObject({ code: 0, err: '' });
    expect(status.out).toContain('  traffic  managed by Argo Rollout test/podinfo (apps/podinfo/rollout.yaml:1)\n  steps    1. setWeight 20%\n           2. pause until promoted\n');
    const json = JSON.parse((await repo.run('status', '--json')).out) as Array<Record<string, unknown>>;
    expect(json[0]).toMatchObject({ controller: { kind: 'Rollout', namespace: 'test', name: 'podinfo', ownsRoute: false } });

    const released = await repo.run('release', 'ghcr.io/example/podinfo:0.3.0', '--source', 'example/podinfo');
    expect(released).toMatchObject({ code: 0, err: '' });
    const expected = filesOf(path.join(ROOT, 'argo-istio-v1beta1-virtualservice', 'expected'));
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...seed, ...expected });
  });

  it('a Deployment a Canary targets shows the Canary, and a route it does not generate stays the bot\'s', async () => {
    const base = filesOf(path.join(ROOT, 'flagger-canary-service', 'original'));
    // Flagger names its route after spec.service.name: the hand-written "podinfo" is not it
    const canary = base['apps/podinfo/canary.yaml'].replace('  service:\n', '  service:\n    name: podinfo-apex\n');
    const seed = { ...base, 'apps/podinfo/canary.yaml': canary };
    repo = await configRepo(seed);
    const status = await repo.run('status');
    expect(status.code).toBe(0);
    expect(status.err).toBe('');
    expect(status.out).toContain('  traffic  managed by Flagger Canary test/podinfo (apps/podinfo/canary.yaml:1, rolls out Deployment/test/podinfo)\n  analysis canary weight 10% → 20%');
    const set = await repo.run('set-weight', 'podinfo', '10');
    expect(set).toMatchObject({ code: 0, err: '' });
    expect(await repo.read('apps/podinfo/virtual-service.yaml')).toContain('host: podinfo-canary\n          weight: 10\n');
  });
});
