// The container image as the Dockerfile and .dockerignore describe it (no engine here can
// pull a base image; test/prod/runtime.test.ts runs what the image runs): multi-stage on a
// digest-pinned Node LTS that satisfies package.json's engines, production dependencies
// only, no npm cache in a layer, non-root, a data volume holding everything the bot
// writes, HOST 0.0.0.0, the CLI on PATH, tini as PID 1, and a small build context.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, copiesOf, dockerIgnored, envOf, execForm, lastOf, parseDockerfile, readDockerfile } from './dockerfile.ts';

const stages = readDockerfile();
const runtime = stages.at(-1)!;
const build = stages[0];
const runs = (s: typeof runtime) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; bin: Record<string, string> };
const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, both on one Node LTS pinned by digest that meets engines', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
    expect(new Set(stages.map((s) => s.from)).size).toBe(1);
    const major = Number(/^node:(\d+)/.exec(runtime.from)![1]);
    const min = Number(/^>=\s*(\d+)/.exec(pkg.engines.node)![1]);
    expect(major).toBeGreaterThanOrEqual(min);
    // Node 26 turned LTS on 2026-10-28; lines before 27 are LTS only when even
    expect(major >= 27 || major % 2 === 0).toBe(true);
  });

  it('compiles, then keeps production dependencies only, with no npm cache left in a layer', () => {
    const steps = runs(build);
    const compile = steps.findIndex((r) => r.includes('npm run build'));
    const prune = steps.findIndex((r) => /npm ci .*--omit=dev/.test(r));
    expect(compile).toBeGreaterThan(-1);
    expect(prune).toBeGreaterThan(compile);
    for (const r of steps.filter((x) => /\bnpm (ci|install)\b/.test(x))) expect(r.includes('--mount=type=cache,target=/root/.npm') || r.includes('npm cache clean --force')).toBe(true);
    // the runtime stage takes the pruned node_modules and the build, and installs nothing with npm
    const fromBuild = copiesOf(runtime).filter((c) => c.from === build.name);
    expect(fromBuild.map((c) => c.sources[0]).sort()).toEqual(['/app/dist', '/app/node_modules']);
    expect(runs(runtime).some((r) => /\bnpm\b.*\b(ci|install)\b/.test(r))).toBe(false);
    expect(runs(runtime).some((r) => r.includes('rm -rf /var/lib/apt/lists/*'))).toBe(true);
  });

  it('builds the CLI bundle\'s code cache from a run of its own: bin/ and git are there before the build', () => {
    const at = (pred: (i: { op: string; args: string }) => boolean) => build.instructions.findIndex(pred);
    const compile = at((i) => i.op === 'RUN' && i.args.includes('npm run build'));
    expect(at((i) => i.op === 'COPY' && /^bin\s/.test(i.args))).toBeGreaterThan(-1);
    expect(at((i) => i.op === 'COPY' && /^bin\s/.test(i.args))).toBeLessThan(compile);
    const git = at((i) => i.op === 'RUN' && /apt-get install .*\bgit\b/.test(i.args));
    expect(git).toBeGreaterThan(-1);
    expect(git).toBeLessThan(compile);
    expect(build.instructions[git].args).toContain('rm -rf /var/lib/apt/lists/*');
  });

  it('runs as a numeric non-root user with HOST 0.0.0.0 and every writable path under the data volume', () => {
    const user = lastOf(runtime, 'USER')!;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const env = envOf(runtime);
    expect(env.HOST).toBe('0.0.0.0');
    const [volume] = execForm(runtime, 'VOLUME')!;
    for (const key of ['WORK_DIR', 'LOCAL_CONFIG_REPO']) expect(env[key].startsWith(`${volume}/`)).toBe(true);
    // relative defaults (.gitops-canary/ for local mode's files) resolve in the volume too
    expect(lastOf(runtime, 'WORKDIR')).toBe(volume);
    expect(runs(runtime).some((r) => r.includes(`chown ${user} ${volume}`))).toBe(true);
  });

  it('starts the compiled server under tini and puts the CLI on PATH', () => {
    expect(execForm(runtime, 'ENTRYPOINT')).toEqual(['/usr/bin/tini', '--']);
    expect(runs(runtime).some((r) => /apt-get install .*\btini\b/.test(r) && /\bgit\b/.test(r))).toBe(true);
    const cmd = execForm(runtime, 'CMD')!;
    expect(cmd[0]).toBe('node');
    expect(cmd[1]).toMatch(/\/dist\/main\.js$/);
    const bin = pkg.bin['gitops-canary'];
    expect(runs(runtime).some((r) => r.includes(`ln -s /app/${bin} /usr/local/bin/gitops-canary`))).toBe(true);
  });

  it('reads instructions the way Docker does (continuations, comments inside them, stage names)', () => {
    const s = parseDockerfile(['# c', 'FROM a@sha256:1 AS one', 'RUN x \\', '  # dropped', ' && y', 'FROM --platform=$B b', 'ENV A=1 B="two words"', 'COPY --from=one /x /y ./'].join('\n'));
    expect(s.map((x) => [x.from, x.name])).toEqual([['a@sha256:1', 'one'], ['b', undefined]]);
    expect(s[0].instructions).toEqual([{ op: 'RUN', args: 'x && y' }]);
    expect(envOf(s[1])).toEqual({ A: '1', B: 'two words' });
    expect(copiesOf(s[1])).toEqual([{ from: 'one', sources: ['/x', '/y'], dest: './' }]);
  });
});

describe('.dockerignore', () => {
  it('sends what the Dockerfile copies and leaves out checkouts, builds, local state and output', () => {
    const sources = stages.flatMap((s) => copiesOf(s).filter((c) => !c.from).flatMap((c) => c.sources));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect(existsSync(path.join(ROOT, src)), src).toBe(true);
      expect(dockerIgnored(ignore, src), src).toBe(false);
    }
    expect(dockerIgnored(ignore, 'src/cli.ts')).toBe(false);
    for (const p of ['node_modules/yaml/package.json', '.git/HEAD', 'dist/main.js', '.gitops-canary/config-repo/HEAD', 'coverage/index.html', 'test/prod/image.test.ts', 'bench/startup.ts', 'npm-debug.log', '.env', 'src/node_modules/x', 'examples/.gitops-canary/x']) {
      expect(dockerIgnored(ignore, p), p).toBe(true);
    }
  });

  it('is read as Docker reads it: the last matching rule wins, and a rule on a directory covers its files', () => {
    expect(dockerIgnored('*\n!src/', 'src/a.ts')).toBe(false);
    expect(dockerIgnored('!src/\n*', 'src/a.ts')).toBe(true);
    expect(dockerIgnored('dist', 'dist/x/y.js')).toBe(true);
    expect(dockerIgnored('**/tmp', 'a/b/tmp/c')).toBe(true);
    expect(dockerIgnored('*.log', 'a/b.log')).toBe(false);
  });
});
