// The payload shapes the intake enforces must accept every real delivery: each of
// GitHub's example payloads for an event the bot handles passes, and every event the app
// registers a handler for has a shape.
import { createRequire } from 'node:module';
import type { Probot } from 'probot';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Runtime } from '../../src/handlers/runtime.ts';
import { SHAPED_EVENTS, shapeProblem } from '../../src/intake/shapes.ts';
import { registryPackagePayload } from '../github-double/index.ts';

interface Definition {
  name: string;
  examples: Array<Record<string, unknown>>;
}
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];

describe('payload shapes', () => {
  it("accept every one of GitHub's example payloads for the events the bot handles", () => {
    let checked = 0;
    const without: string[] = [];
    for (const key of SHAPED_EVENTS) {
      const [event, action] = key.split('.');
      const examples = (definitions.find((d) => d.name === event)?.examples ?? []).filter((e) => action === undefined || e.action === action);
      if (examples.length === 0) without.push(key);
      for (const example of examples) {
        expect({ key, problem: shapeProblem(event, example) }).toEqual({ key, problem: undefined });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(SHAPED_EVENTS.length);
    // The examples package has none for this action; the double builds it from another
    // registry_package example, and that one is checked below.
    expect(without).toEqual(['registry_package.published']);
    const built = registryPackagePayload({ owner: 'acme', repo: 'api', installationId: 1, packageName: 'api', tag: '1.2.3' });
    expect(shapeProblem('registry_package', built)).toBeUndefined();
  });

  it('cover every event the app registers a handler for', () => {
    const registered: string[] = [];
    const probot = { on: (names: string | string[]) => registered.push(...[names].flat()) };
    createApp({} as Runtime)(probot as unknown as Probot);
    expect(registered.length).toBeGreaterThan(5);
    expect(registered.filter((e) => !SHAPED_EVENTS.includes(e))).toEqual([]);
  });

  it('name the first wrong field in one line', () => {
    expect(shapeProblem('release', { action: 'published', repository: { full_name: 'a/b', owner: { login: 'a' } }, release: { tag_name: 'v1\n', draft: 'no', prerelease: false, target_commitish: 'main' } })).toBe(
      'release.draft: expected boolean, received string',
    );
    expect(shapeProblem('release', { action: 'published', repository: { full_name: 'not a repo', owner: { login: 'a' } } })).toBe('repository.full_name: expected "owner/name"');
    expect(shapeProblem('release', [])).toBe('payload: expected a JSON object');
    expect(shapeProblem('ping', { zen: 'x' })).toBeUndefined();
    // an action no handler listens to is not checked
    expect(shapeProblem('release', { action: 'deleted' })).toBeUndefined();
  });
});
