// Mixed rollout steps in the config: weights, A/B matches and mirrors, each problem at its
// own path and line; and the step lists the rest of the bot reads from a config.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, ConfigValidationError, parseConfig, rolloutStepList, rolloutSteps, trafficStepList, trafficSteps } from '../../src/config/index.ts';
import { parseDocument } from '../../src/manifests/yaml.ts';
import { EXAMPLE } from './example.ts';

const FIREFOX = '{ match: { headers: { user-agent: { regex: ".*Firefox.*" } } } }';
const MIXED = `[${FIREFOX}, { mirror: 50 }, 10, 60, 100]`;
const withSteps = (steps: string) => EXAMPLE.replace('[10, 25, 60, 100]', steps);

function errorOf(text: string): ConfigValidationError {
  try {
    parseConfig(text);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('mixed rollout steps', () => {
  it('reads weights, A/B matches and mirrors in order', () => {
    const app = parseConfig(withSteps(MIXED)).apps.podinfo;
    expect(rolloutStepList(app)).toEqual([
      { weight: 0, extras: { ab: { headers: { 'user-agent': { regex: '.*Firefox.*' } } } } },
      { weight: 0, extras: { mirror: 50 } },
      { weight: 10 },
      { weight: 60 },
      { weight: 100 },
    ]);
    // the weight of each step, as numeric-only callers read it
    expect(rolloutSteps(app)).toEqual([0, 0, 10, 60, 100]);
    expect(trafficStepList(app)).toEqual([{ weight: 10 }, { weight: 60 }, { weight: 100 }]);
    expect(trafficSteps(app)).toEqual([10, 60, 100]);
  });

  it('takes every kind of condition, several at once, in traffic.steps too', () => {
    const step = '{ match: { headers: { x-beta: { exact: "yes" }, user-agent: { prefix: Mozilla } }, queryParams: { v: { exact: "2" } }, cookies: { user: { regex: "alice|bob" } } } }';
    const app = parseConfig(EXAMPLE.replace('steps: [10, 60, 100]', `steps: [${step}, 100]`)).apps.podinfo;
    expect(trafficStepList(app)[0]).toEqual({
      weight: 0,
      extras: {
        ab: {
          headers: { 'x-beta': { exact: 'yes' }, 'user-agent': { prefix: 'Mozilla' } },
          queryParams: { v: { exact: '2' } },
          cookies: { user: { regex: 'alice|bob' } },
        },
      },
    });
  });

  it('keeps numeric-only configs as they were', () => {
    const app = parseConfig(EXAMPLE).apps.podinfo;
    expect(rolloutSteps(app)).toEqual([10, 25, 60, 100]);
    expect(rolloutStepList(app)).toEqual([{ weight: 10 }, { weight: 25 }, { weight: 60 }, { weight: 100 }]);
  });

  it('accepts RE2 inline flags that JavaScript spells differently', () => {
    expect(() => parseConfig(withSteps('[{ match: { headers: { user-agent: { regex: "(?i).*firefox.*" } } } }, 100]'))).not.toThrow();
    expect(() => parseConfig(withSteps('[{ match: { headers: { user-agent: { regex: "(?i:fire)fox" } } } }, 100]'))).not.toThrow();
  });

  it.each([
    ['[{ mirror: 150 }, 100]', /:22 apps\.podinfo\.rollout\.steps\[0\]\.mirror: mirror is a whole percentage from 1 to 100$/],
    ['[{ mirror: 0 }, 100]', /rollout\.steps\[0\]\.mirror: mirror is a whole percentage from 1 to 100$/],
    ['[{ mirror: 12.5 }, 100]', /rollout\.steps\[0\]\.mirror: mirror is a whole percentage from 1 to 100$/],
    ['[10, { mirror: x }, 100]', /rollout\.steps\[1\]\.mirror: expected a number, got a string$/],
    ['[{ mirrr: 5 }, 100]', /rollout\.steps\[0\]\.mirrr: unknown key "mirrr" \(did you mean "mirror"\?\)/],
    [`[${FIREFOX.replace('headers', 'header')}, 100]`, /rollout\.steps\[0\]\.match\.header: unknown key "header" \(did you mean "headers"\?\)/],
    [`[${FIREFOX.replace('regex', 'regx')}, 100]`, /rollout\.steps\[0\]\.match\.headers\.user-agent\.regx: unknown key "regx" \(did you mean "regex"\?\)/],
    [`[${FIREFOX.replace('user-agent', 'User-Agent')}, 100]`, /steps\[0\]\.match\.headers\.User-Agent: invalid name "User-Agent": header names are lower case \(Istio requires it\): write "user-agent"/],
    [`[${FIREFOX.replace('.*Firefox.*', '(?<=x)Firefox')}, 100]`, /steps\[0\]\.match\.headers\.user-agent\.regex: lookbehind .* not supported by RE2/],
    [`[${FIREFOX.replace('.*Firefox.*', '(?!x)Firefox')}, 100]`, /steps\[0\]\.match\.headers\.user-agent\.regex: lookahead .* not supported by RE2/],
    [`[${FIREFOX.replace('.*Firefox.*', '(a)\\\\1')}, 100]`, /steps\[0\]\.match\.headers\.user-agent\.regex: backreferences \(\\1\) are not supported by RE2/],
    [`[${FIREFOX.replace('.*Firefox.*', '(Firefox')}, 100]`, /steps\[0\]\.match\.headers\.user-agent\.regex: the regex does not compile: .*Unterminated group/],
    [`[${FIREFOX.replace('regex: ".*Firefox.*"', 'exact: ""')}, 100]`, /steps\[0\]\.match\.headers\.user-agent\.exact: the value is empty/],
    [`[${FIREFOX.replace('{ regex: ".*Firefox.*" }', '{ regex: a, exact: b }')}, 100]`, /steps\[0\]\.match\.headers\.user-agent: a condition is one of \{ exact: … \}, \{ prefix: … \} or \{ regex: … \}/],
    ['[{ match: {} }, 100]', /steps\[0\]\.match: an A\/B match needs at least one header, query parameter or cookie condition/],
    [`[{ mirror: 5, match: { headers: { a: { exact: b } } } }, 100]`, /steps\[0\]: a step is a canary weight \(1-100\), \{ match: … \} \(A\/B\) or \{ mirror: 1-100 \}, one kind per step/],
    ['["ten", 100]', /steps\[0\]: a step is a canary weight/],
    ['[10.5, 100]', /steps\[0\]: steps are whole percentages/],
    ['[10, { mirror: 5 }, 100]', /steps\[1\]: a mirror step cannot follow the weight step 10: A\/B and mirror steps give the canary weight 0, so put them before the first weight/],
    [`[10, ${FIREFOX}, 100]`, /steps\[1\]: an A\/B step cannot follow the weight step 10/],
    ['[{ mirror: 5 }]', /steps\[0\]: the last step must be 100, or the canary never takes all traffic/],
    ['[{ mirror: 5 }, 60, 10, 100]', /steps\[2\]: steps must be strictly ascending \(10 follows 60\)/],
    ['[{ mirror: 5 }, 10, 60]', /steps\[2\]: the last step must be 100/],
  ])('refuses %s with the path of the problem', (steps, re) => {
    expect(errorOf(withSteps(steps)).message).toMatch(re);
  });

  it('reports each bad step of one list', () => {
    const err = errorOf(withSteps(`[{ mirror: 150 }, ${FIREFOX.replace('.*Firefox.*', '(?<=x)')}, 100]`));
    expect(err.issues.map((i) => i.field)).toEqual(['apps.podinfo.rollout.steps[0].mirror', 'apps.podinfo.rollout.steps[1].match.headers.user-agent.regex']);
  });

  it('is described by the JSON schema, which takes mixed lists and refuses stray keys', () => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(configJsonSchema());
    expect(validate(parseDocument(withSteps(MIXED)).toJS())).toBe(true);
    expect(validate(parseDocument(withSteps('[{ mirror: 50, extra: 1 }, 100]')).toJS())).toBe(false);
    expect(validate(parseDocument(withSteps('[{ match: { headers: { a: { like: b } } } }, 100]')).toJS())).toBe(false);
  });
});
