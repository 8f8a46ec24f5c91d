import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { ConfigValidationError, parseConfig, rolloutSteps, trafficSteps } from '../../src/config/index.ts';
import { EXAMPLE, MINIMAL } from './example.ts';

function errorOf(text: string, file?: string): ConfigError {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected parseConfig to throw');
}

/** MINIMAL with extra lines appended under the `web` app (4-space indent). */
const withApp = (extra: string) => MINIMAL + extra.replace(/^/gm, '    ');

describe('parseConfig', () => {
  it('parses the full example', () => {
    const c = parseConfig(EXAMPLE);
    const app = c.apps.podinfo;
    expect(app.image).toBe('ghcr.io/acme/podinfo');
    expect(app.tracks.canary).toEqual({ filter: 'semver:0.2.*', paths: ['apps/podinfo/canary-dep.yaml'], prerelease: false });
    expect(app.traffic).toMatchObject({ file: 'apps/podinfo/virtual-service.yaml', route: 'primary', stable: { subset: 'ga' }, steps: [10, 60, 100] });
    expect(app.rollout?.gates?.checks.map((g) => g.name)).toEqual(['success-rate', 'p99-latency-ms']);
    expect(app.rollout?.gates?.failures).toBe(2);
    expect(app.rollout?.window).toEqual({ days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' });
    expect(app.notify).toEqual({ slack: 'SLACK_WEBHOOK_URL_PODINFO', webhook: 'PODINFO_HOOK_URL' });
    expect(rolloutSteps(app)).toEqual([10, 25, 60, 100]);
    expect(trafficSteps(app)).toEqual([10, 60, 100]);
  });

  it('applies defaults', () => {
    const app = parseConfig(MINIMAL).apps.web;
    expect(app).toEqual({
      image: 'ghcr.io/acme/web',
      source: 'acme/web',
      tracks: { stable: { filter: 'semver:1.*', paths: ['deploy/web.yaml'], prerelease: false } },
      delivery: 'pull-request',
      merge: 'manual',
      approvals: 1,
      mergeMethod: 'merge',
      analysis: 'strict',
    });
    expect(app.tagTemplate).toBeUndefined();
    expect(() => parseConfig(withApp('traffic: { file: vs.yaml, stable: { host: web }, canary: { host: web-canary }, steps: [100] }\n'))).toThrow(
      /tracks named "stable" and "canary"; missing "canary"/,
    );
  });

  it('applies rollout defaults', () => {
    const text = MINIMAL.replace('paths: [deploy/web.yaml] }', 'paths: [deploy/web.yaml] }\n      canary: { filter: "semver:2.*", paths: [deploy/web-canary.yaml] }') +
      '    traffic: { file: vs.yaml, stable: { host: web }, canary: { host: web-canary, port: 8080 } }\n' +
      '    rollout:\n      steps: [50, 100]\n      gates:\n        prometheus: { url: "http://p:9090" }\n        checks: [{ name: ok, query: up, min: 1 }]\n';
    const r = parseConfig(text).apps.web.rollout!;
    expect(r).toEqual({
      steps: [50, 100],
      bake: '0s',
      schedule: '*/5 * * * *',
      approval: 'per-step',
      promote: false,
      gates: { prometheus: { url: 'http://p:9090', timeout: '10s' }, checks: [{ name: 'ok', query: 'up', min: 1 }], failures: 1 },
    });
    expect(trafficSteps(parseConfig(text).apps.web)).toEqual([50, 100]);
  });

  it('accepts a config with no apps', () => {
    expect(parseConfig('apps: {}\n')).toEqual({ apps: {} });
  });

  it('names file, line and field for an unknown key, with a suggestion', () => {
    const text = EXAMPLE.replace('    traffic:\n', '    trafic:\n');
    const err = errorOf(text);
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect(err.code).toBe('CONFIG_INVALID');
    const first = err.message.split('\n')[0];
    expect(first).toBe('.github/gitops-canary.yml:9 apps.podinfo.trafic: unknown key "trafic" (did you mean "traffic"?)');
    expect(err.location).toEqual({ file: '.github/gitops-canary.yml', line: 9, field: 'apps.podinfo.trafic' });
  });

  it('reports unknown keys deep inside and at the top', () => {
    const err = errorOf(`${MINIMAL}extra: 1\n`, 'cfg.yml');
    expect(err.message).toBe('cfg.yml:7 extra: unknown key "extra"');
    const deep = errorOf(MINIMAL.replace('paths: [deploy/web.yaml]', 'paths: [deploy/web.yaml], prerelase: true'));
    expect(deep.message).toMatch(/^\.github\/gitops-canary\.yml:6 apps\.web\.tracks\.stable\.prerelase: unknown key "prerelase" \(did you mean "prerelease"\?\)$/);
  });

  it('reports every problem, one a line, first in the headline', () => {
    const text = EXAMPLE.replace('semver:0.2.*', 'bogus:x').replace('bake: 15m', 'bake: 15 minutes').replace('timezone: Europe/Berlin', 'timezone: Mars/Olympus');
    const err = errorOf(text) as ConfigValidationError;
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\.github\/gitops-canary\.yml:8 apps\.podinfo\.tracks\.canary\.filter: .*bogus/);
    expect(lines[1]).toMatch(/^\.github\/gitops-canary\.yml:23 apps\.podinfo\.rollout\.bake: invalid duration "15 minutes"/);
    expect(lines[2]).toMatch(/^\.github\/gitops-canary\.yml:25 apps\.podinfo\.rollout\.window\.timezone: unknown timezone "Mars\/Olympus"/);
    expect(err.issues.map((i) => i.field)).toEqual(['apps.podinfo.tracks.canary.filter', 'apps.podinfo.rollout.bake', 'apps.podinfo.rollout.window.timezone']);
  });

  it('orders issues by line, whatever order the checks ran in', () => {
    const text = EXAMPLE.replace('      stable: { filter: "semver:0.1.*"', '      ga: { filter: "semver:0.1.*"').replace('bake: 15m', 'bake: soon');
    const err = errorOf(text) as ConfigValidationError;
    expect(err.issues.map((i) => i.line)).toEqual([9, 23]);
    expect(err.location.field).toBe('apps.podinfo.traffic');
  });

  it.each([
    ['semver:not a range'],
    ['bogus:x'],
  ])('rejects the filter %s', (filter) => {
    const err = errorOf(MINIMAL.replace('semver:1.*', filter));
    expect(err.message).toMatch(/^\.github\/gitops-canary\.yml:6 apps\.web\.tracks\.stable\.filter: /);
    expect(err.message).toContain(filter.split(':')[0]);
  });

  it('rejects a bad cron expression', () => {
    const err = errorOf(EXAMPLE.replace('schedule: "*/5 * * * *"', 'schedule: "*/5 * * *"'));
    expect(err.message).toMatch(/^\.github\/gitops-canary\.yml:24 apps\.podinfo\.rollout\.schedule: invalid cron expression "\*\/5 \* \* \*": expected 5 or 6 fields/);
    expect(errorOf(EXAMPLE.replace('schedule: "*/5 * * * *"', 'schedule: "61 * * * *"')).message).toMatch(/minute/);
  });

  it.each(['15', '15 min', '1m1h', '-5m', 'h'])('rejects the duration %s', (bake) => {
    const err = errorOf(EXAMPLE.replace('bake: 15m', `bake: "${bake}"`));
    expect(err.message).toMatch(/:23 apps\.podinfo\.rollout\.bake: invalid duration/);
  });

  it('rejects bad windows and freezes', () => {
    expect(errorOf(EXAMPLE.replace('mon-fri', 'mon-fry')).message).toMatch(/:25 apps\.podinfo\.rollout\.window\.days: unknown day "fry"/);
    expect(errorOf(EXAMPLE.replace('"09:00-17:00"', '"9-17"')).message).toMatch(/rollout\.window\.hours: hours must look like "09:00-17:00", got "9-17"/);
    expect(errorOf(EXAMPLE.replace('2026-12-20/2027-01-04', '2027-01-04/2026-12-20')).message).toMatch(/:26 apps\.podinfo\.rollout\.freeze\[0\]: .*end is not after start/);
    expect(errorOf(EXAMPLE.replace('2026-12-20/2027-01-04', '2026-02-30')).message).toMatch(/no such date/);
  });

  it.each([
    ['[10, 60]', /rollout\.steps\[1\]: the last step must be 100/],
    ['[10, 60, 40, 100]', /rollout\.steps\[2\]: steps must be strictly ascending/],
    ['[10, 10, 100]', /rollout\.steps\[1\]: steps must be strictly ascending/],
    ['[0, 100]', /rollout\.steps\[0\]: /],
    ['[10, 100, 101]', /rollout\.steps\[2\]: /],
    ['[10.5, 100]', /rollout\.steps\[0\]: steps are whole percentages/],
    ['[]', /rollout\.steps: /],
  ])('rejects steps %s', (steps, re) => {
    expect(errorOf(EXAMPLE.replace('[10, 25, 60, 100]', steps)).message).toMatch(re);
  });

  it('rejects traffic without stable and canary tracks', () => {
    const text = EXAMPLE.replace('      stable: { filter: "semver:0.1.*"', '      ga: { filter: "semver:0.1.*"');
    const err = errorOf(text);
    expect(err.message).toBe(
      '.github/gitops-canary.yml:9 apps.podinfo.traffic: traffic needs tracks named "stable" and "canary"; missing "stable" under tracks',
    );
  });

  it('rejects malformed backends, checks and names', () => {
    expect(errorOf(EXAMPLE.replace('stable: { subset: ga }', 'stable: { port: 80 }')).message).toMatch(/traffic\.stable: backend needs a subset or a host/);
    expect(errorOf(EXAMPLE.replace('stable: { subset: ga }', 'stable: { subset: ga, port: 80 }')).message).toMatch(/traffic\.stable\.port: port goes with host/);
    expect(errorOf(EXAMPLE.replace('            min: 0.99\n', '')).message).toMatch(/:31 apps\.podinfo\.rollout\.gates\.checks\[0\]: a check needs min or max/);
    expect(errorOf(EXAMPLE.replace('  podinfo:', '  PodInfo:')).message).toMatch(/:2 apps\.PodInfo: invalid name "PodInfo": app names/);
    expect(errorOf(EXAMPLE.replace('source: acme/podinfo', 'source: podinfo')).message).toMatch(/:4 apps\.podinfo\.source: source must be a GitHub repository/);
    expect(errorOf(EXAMPLE.replace('image: ghcr.io/acme/podinfo', 'image: ghcr.io/acme/podinfo:1.0')).message).toMatch(/:3 apps\.podinfo\.image: image must be a repository without tag/);
    expect(errorOf(EXAMPLE.replace('image: ghcr.io/acme/podinfo', 'image: ghcr.io/Acme/podinfo')).message).toMatch(/:3 apps\.podinfo\.image: invalid image reference/);
    expect(errorOf(EXAMPLE.replace('"{version}"', '"{semver}"')).message).toMatch(/:5 apps\.podinfo\.tagTemplate: .*unknown placeholder/);
    expect(errorOf(EXAMPLE.replace('slack: SLACK_WEBHOOK_URL_PODINFO', 'slack: "https://hooks.slack.com/x"')).message).toMatch(/notify\.slack: give the name of an environment variable/);
    expect(errorOf(EXAMPLE.replace('merge: manual', 'merge: sometimes')).message).toMatch(/:17 apps\.podinfo\.merge: Invalid option/);
    expect(errorOf(EXAMPLE.replace('delivery: pull-request', 'delivery: commit').replace('merge: manual', 'merge: auto')).message).toMatch(/apps\.podinfo\.merge: merge: auto needs delivery: pull-request/);
    expect(errorOf(EXAMPLE.replace('branch: main', 'branch: "feature..x"')).message).toMatch(/apps\.podinfo\.branch: invalid branch name/);
    expect(errorOf(EXAMPLE.replace('url: http://prometheus:9090', 'url: prometheus')).message).toMatch(/gates\.prometheus\.url: must be an http\(s\) URL/);
  });

  it('takes the reconcile sources, repo by default', () => {
    expect(parseConfig(MINIMAL).apps.web.sources).toBeUndefined();
    expect(parseConfig(withApp('sources: [repo, registry]\n')).apps.web.sources).toEqual(['repo', 'registry']);
    expect(parseConfig(withApp('sources: [registry]\n')).apps.web.sources).toEqual(['registry']);
    expect(errorOf(withApp('sources: [registry, registry]\n')).message).toMatch(/apps\.web\.sources: each source is listed once/);
    expect(errorOf(withApp('sources: []\n')).message).toMatch(/apps\.web\.sources: /);
    expect(errorOf(withApp('sources: [dockerhub]\n')).message).toMatch(/apps\.web\.sources\[0\]: /);
  });

  it('reports missing required fields at the parent key', () => {
    const err = errorOf(MINIMAL.replace('    source: acme/web\n', ''));
    expect(err.message).toBe('.github/gitops-canary.yml:2 apps.web.source: required: expected a string');
    expect(errorOf(MINIMAL.replace('stable: { filter: "semver:1.*", paths: [deploy/web.yaml] }', 'stable: {}')).message).toMatch(/tracks\.stable\.filter: required/);
    expect(errorOf(MINIMAL.replace(/ {4}tracks:\n.*\n/, '    tracks: {}\n')).message).toMatch(/:5 apps\.web\.tracks: at least one track is required/);
  });

  it('refuses absolute, parent and backslash paths without touching the disk', () => {
    expect(errorOf(MINIMAL.replace('deploy/web.yaml', '/etc/passwd')).message).toMatch(/:6 apps\.web\.tracks\.stable\.paths\[0\]: path must be relative/);
    expect(errorOf(MINIMAL.replace('deploy/web.yaml', 'deploy/../../x.yaml')).message).toMatch(/paths\[0\]: path must not contain "\.\." segments/);
    expect(errorOf(MINIMAL.replace('deploy/web.yaml', '"deploy\\\\web.yaml"')).message).toMatch(/paths\[0\]: path must use "\/" separators/);
    expect(errorOf(EXAMPLE.replace('file: apps/podinfo/virtual-service.yaml', 'file: ../vs.yaml')).message).toMatch(/:10 apps\.podinfo\.traffic\.file: path must not contain/);
    expect(errorOf(EXAMPLE.replace('file: apps/podinfo/virtual-service.yaml', 'file: "apps/*.yaml"')).message).toMatch(/traffic\.file: must name one file, not a glob/);
    expect(parseConfig(MINIMAL.replace('deploy/web.yaml', '"deploy/*.yaml"')).apps.web.tracks.stable.paths).toEqual(['deploy/*.yaml']);
  });

  it('refuses one file in two tracks', () => {
    expect(errorOf(EXAMPLE.replace('apps/podinfo/canary-dep.yaml', 'apps/podinfo/ga-dep.yaml')).message).toMatch(
      /:8 apps\.podinfo\.tracks\.canary\.paths\[0\]: "apps\/podinfo\/ga-dep\.yaml" is also a path of track "stable"/,
    );
  });

  it('locates YAML syntax errors', () => {
    const err = errorOf('apps:\n  web:\n    image: [unclosed\n    source: x\n');
    expect(err.code).toBe('CONFIG_YAML');
    expect(err.message).toMatch(/^\.github\/gitops-canary\.yml:\d+: YAML syntax error: /);
    expect(err.location.line).toBeGreaterThanOrEqual(3);
    const dup = errorOf('apps:\n  web: {}\n  web: {}\n');
    expect(dup.code).toBe('CONFIG_YAML');
    expect(dup.message).toMatch(/^\.github\/gitops-canary\.yml:3: YAML syntax error: Map keys must be unique/);
    expect(errorOf('apps: {}\n---\napps: {}\n').code).toBe('CONFIG_YAML');
  });

  it('rejects an empty file and a non-mapping', () => {
    expect(errorOf('').message).toBe('.github/gitops-canary.yml:1: the file is empty; expected a mapping with an "apps:" key');
    expect(errorOf('# nothing\n').code).toBe('CONFIG_INVALID');
    expect(errorOf('- a\n- b\n').message).toBe('.github/gitops-canary.yml:1: expected a mapping, got a list');
    expect(errorOf(EXAMPLE.replace('approvals: 1', 'approvals: "1"')).message).toMatch(/:18 apps\.podinfo\.approvals: expected a number, got a string$/);
  });
});
