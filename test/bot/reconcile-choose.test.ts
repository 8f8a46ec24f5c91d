// Which tag each track should run, from what a source offers: the event rules, applied
// to a whole list at once.
import { describe, expect, it } from 'vitest';
import { newestPerTrack } from '../../src/bot/reconcile/choose.ts';
import { parseConfig } from '../../src/config/index.ts';

const config = (extra = '') =>
  parseConfig(
    [
      'apps:',
      '  web:',
      '    image: ghcr.io/acme/web',
      '    source: acme/web',
      '    tracks:',
      '      stable: { filter: "semver:1.0.*", paths: ["apps/web/stable.yaml"] }',
      '      canary: { filter: "semver:>=1.1.0-0", paths: ["apps/web/canary.yaml"] }',
      extra,
    ].join('\n'),
  ).apps.web;

const rel = (tag: string, prerelease = false) => ({ tag, release: true, prerelease });
const tag = (t: string) => ({ tag: t, release: false, prerelease: false });

describe('newestPerTrack', () => {
  it('picks the newest tag of each track by the track filter, whatever order the source lists', () => {
    const c = newestPerTrack(config(), [tag('v1.0.2'), rel('v1.1.0'), rel('v1.0.10'), tag('v1.2.0-rc.1'), tag('v0.9.0'), tag('latest')], []);
    expect(c.picks).toEqual([
      { track: 'stable', tag: 'v1.0.10', image: '1.0.10', prerelease: false },
      { track: 'canary', tag: 'v1.2.0-rc.1', image: '1.2.0-rc.1', prerelease: false },
    ]);
  });

  it('sends a release marked pre-release only to a track that takes prereleases', () => {
    const c = newestPerTrack(config(), [rel('v1.0.3', true), rel('v1.0.2')], []);
    expect(c.picks.map((p) => [p.track, p.tag])).toEqual([['stable', 'v1.0.2']]);
  });

  it('leaves a track alone when its newest tag is held after a rollback', () => {
    const c = newestPerTrack(config(), [rel('v1.0.3'), rel('v1.0.2'), rel('v1.1.0')], ['1.0.3']);
    expect(c.picks.map((p) => p.tag)).toEqual(['v1.1.0']);
    expect(c.held.map((p) => [p.track, p.image])).toEqual([['stable', '1.0.3']]);
  });

  it('writes the tag the template makes, and skips tags the template cannot use', () => {
    const c = newestPerTrack(config('    tagTemplate: "v{version}"'), [rel('v1.0.4'), rel('web-1.0.5')], []);
    expect(c.picks).toEqual([{ track: 'stable', tag: 'v1.0.4', image: 'v1.0.4', prerelease: false }]);
  });

  it('takes a registry tag as the image tag itself: no template, filters and order as for any tag', () => {
    const reg = (t: string) => ({ tag: t, release: false, prerelease: false, registry: true });
    // a release v1.0.5 would write 1.0.5; the registry's v1.0.5 is that very image tag
    expect(newestPerTrack(config(), [reg('v1.0.5')], []).picks).toEqual([{ track: 'stable', tag: 'v1.0.5', image: 'v1.0.5', prerelease: false, registry: true }]);
    const c = newestPerTrack(config(), [rel('v1.0.4'), reg('1.0.9'), reg('v1.2.0-rc.1'), reg('sha-abc123')], []);
    expect(c.picks).toEqual([
      { track: 'stable', tag: '1.0.9', image: '1.0.9', prerelease: false, registry: true },
      { track: 'canary', tag: 'v1.2.0-rc.1', image: 'v1.2.0-rc.1', prerelease: false, registry: true },
    ]);
    // the same image tag from a release and the registry: the release (listed first) wins the tie
    expect(newestPerTrack(config(), [rel('v1.0.5'), reg('1.0.5')], []).picks).toEqual([{ track: 'stable', tag: 'v1.0.5', image: '1.0.5', prerelease: false }]);
  });

  it('offers nothing when no tag belongs to a track', () => {
    expect(newestPerTrack(config(), [tag('v0.5.0'), tag('nightly')], [])).toEqual({ picks: [], held: [] });
  });
});
