import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.ts';
import { decideTrack, parseFilter } from '../../src/policy/index.ts';

const tracks = [
  { name: 'stable', filter: 'semver:>=1.0.0' },
  { name: 'canary', filter: 'semver:>=1.0.0', prerelease: true },
  { name: 'nightly', filter: 'glob:nightly-*' },
];

describe('decideTrack', () => {
  it('picks the only matching track', () => {
    expect(decideTrack(tracks, 'nightly-20240101')).toEqual({ track: 'nightly', also: [] });
  });

  it('picks the first declared of several and reports the others', () => {
    expect(decideTrack(tracks, 'v1.2.0')).toEqual({
      track: 'stable',
      also: ['canary'],
      note: 'tag v1.2.0 also matches track canary; using stable, the first declared',
    });
    const three = [...tracks, { name: 'all', filter: 'glob:*' }];
    expect(decideTrack(three, '1.2.0')).toMatchObject({
      track: 'stable',
      also: ['canary', 'all'],
      note: 'tag 1.2.0 also matches tracks canary, all; using stable, the first declared',
    });
  });

  it('routes a prerelease only to a track that accepts prereleases', () => {
    expect(decideTrack(tracks, 'v1.3.0-rc.1')).toEqual({ track: 'canary', also: [] });
    const optIn = [
      { name: 'stable', filter: 'semver:>=1.0.0' },
      { name: 'beta', filter: 'semver:>=1.0.0-0' },
    ];
    expect(decideTrack(optIn, '1.3.0-beta.2')).toEqual({ track: 'beta', also: [] });
  });

  it('keeps prereleases off catch-all glob and regex tracks unless they opt in', () => {
    const r = decideTrack([{ name: 'all', filter: 'glob:*' }, { name: 'rc', filter: 'regex:-rc\\.' }], '1.0.0-rc.1');
    expect(r.track).toBeNull();
    expect(decideTrack([{ name: 'rc', filter: 'regex:-rc\\.', prerelease: true }], '1.0.0-rc.1')).toEqual({
      track: 'rc',
      also: [],
    });
  });

  it('explains every track when none matches', () => {
    expect(decideTrack(tracks.slice(0, 1).concat(tracks[2]), '1.3.0-rc.1')).toEqual({
      track: null,
      reasons: [
        'track stable: tag 1.3.0-rc.1 is a prerelease and the track does not accept prereleases (set prerelease: true, or use a range opting in with -0 such as semver:>=1.0.0-0)',
        'track nightly: tag 1.3.0-rc.1 is a prerelease and the track does not accept prereleases (set prerelease: true, or use a range opting in with -0 such as semver:>=1.0.0-0)',
      ],
    });
    expect(decideTrack(tracks, 'v0.9.0')).toEqual({
      track: null,
      reasons: [
        'track stable: tag v0.9.0 does not match filter semver:>=1.0.0',
        'track canary: tag v0.9.0 does not match filter semver:>=1.0.0',
        'track nightly: tag v0.9.0 does not match filter glob:nightly-*',
      ],
    });
    expect(decideTrack(tracks.slice(0, 1), 'latest')).toEqual({
      track: null,
      reasons: ['track stable: tag latest is not a semver version (filter semver:>=1.0.0)'],
    });
  });

  it('says so when no tracks are configured', () => {
    expect(decideTrack([], '1.0.0')).toEqual({ track: null, reasons: ['no tracks are configured'] });
  });

  it('rejects a bad track filter, naming the track', () => {
    try {
      decideTrack([{ name: 'stable', filter: 'semver:nope' }], '1.0.0', { file: 'gitops-canary.yaml' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).code).toBe('POLICY_BAD_FILTER');
      expect((err as PolicyError).message).toMatch(/^gitops-canary\.yaml tracks\[stable\]\.filter: filter "semver:nope"/);
    }
  });

  it('accepts pre-parsed filters', () => {
    expect(decideTrack([{ name: 'x', filter: parseFilter('glob:x-*') }], 'x-1')).toEqual({ track: 'x', also: [] });
  });
});
