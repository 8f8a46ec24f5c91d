import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.ts';
import {
  decideTag,
  fluxV1Automated,
  fluxV1Filters,
  fluxV1Locked,
  normalizeFluxV1Filter,
} from '../../src/policy/index.ts';

function rejected(annotations: Record<string, string>): PolicyError {
  try {
    fluxV1Filters(annotations, { file: 'apps/podinfo/deployment.yaml', object: 'Deployment/apps/podinfo' });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('fluxV1Filters', () => {
  it('reads all three annotation spellings', () => {
    const filters = fluxV1Filters({
      'fluxcd.io/automated': 'true',
      'fluxcd.io/tag.podinfod': 'semver:~0.1',
      'flux.weave.works/tag.sidecar': 'glob:main-*',
      'filter.fluxcd.io/chart-image': 'regex:^v\\d+$',
      'kubernetes.io/change-cause': 'deploy',
    });
    expect([...filters.entries()]).toEqual([
      ['podinfod', 'semver:~0.1'],
      ['sidecar', 'glob:main-*'],
      ['chart-image', 'regex:^v\\d+$'],
    ]);
  });

  it('treats a bare value as a glob and regexp: as regex:, like Flux v1', () => {
    const filters = fluxV1Filters({
      'fluxcd.io/tag.a': 'master-*',
      'fluxcd.io/tag.b': 'regexp:^build-\\d+$',
      'fluxcd.io/tag.c': '',
    });
    expect(filters.get('a')).toBe('glob:master-*');
    expect(filters.get('b')).toBe('regex:^build-\\d+$');
    expect(filters.get('c')).toBe('glob:*');
    expect(decideTag(filters.get('a') as string, 'master-1', 'master-2')).toEqual({ ok: true });
    expect(decideTag(filters.get('a') as string, undefined, 'dev-2')).toMatchObject({ code: 'TAG_NOT_MATCHED' });
  });

  it('normalizes single values', () => {
    expect(normalizeFluxV1Filter(' semver:^1 ')).toBe('semver:^1');
    expect(normalizeFluxV1Filter('glob:*')).toBe('glob:*');
    expect(normalizeFluxV1Filter('1.*')).toBe('glob:1.*');
  });

  it('accepts the same filter under two spellings', () => {
    const filters = fluxV1Filters({ 'fluxcd.io/tag.app': 'semver:^1', 'flux.weave.works/tag.app': 'semver:^1' });
    expect(filters.get('app')).toBe('semver:^1');
  });

  it('refuses two spellings that disagree, naming both', () => {
    const err = rejected({ 'filter.fluxcd.io/app': 'glob:*', 'fluxcd.io/tag.app': 'semver:^1' });
    expect(err.code).toBe('POLICY_FLUX_CONFLICT');
    expect(err.message).toBe(
      'apps/podinfo/deployment.yaml Deployment/apps/podinfo metadata.annotations.filter.fluxcd.io/app: annotations fluxcd.io/tag.app (semver:^1) and filter.fluxcd.io/app (glob:*) give container app different filters; keep one',
    );
  });

  it('reports an invalid filter by its annotation', () => {
    const err = rejected({ 'fluxcd.io/tag.app': 'semver:latest' });
    expect(err.code).toBe('POLICY_BAD_FILTER');
    expect(err.location.field).toBe('metadata.annotations.fluxcd.io/tag.app');
    expect(err.message).toContain('is not a valid semver range');
    expect(rejected({ 'fluxcd.io/tag.app': 'regexp:(' }).code).toBe('POLICY_BAD_FILTER');
  });

  it('reports a mistyped prefix instead of a glob that matches nothing', () => {
    const err = rejected({ 'fluxcd.io/tag.app': 'semvar:~1' });
    expect(err.code).toBe('POLICY_BAD_FILTER');
    expect(err.message).toContain('annotation fluxcd.io/tag.app value "semvar:~1" has an unknown filter prefix');
  });

  it('reports an annotation without a container name', () => {
    expect(rejected({ 'fluxcd.io/tag.': 'semver:^1' }).code).toBe('POLICY_BAD_ANNOTATION');
  });

  it('returns an empty map without annotations', () => {
    expect(fluxV1Filters(undefined).size).toBe(0);
    expect(fluxV1Filters({ 'fluxcd.io/automated': 'true' }).size).toBe(0);
  });
});

describe('fluxV1Automated / fluxV1Locked', () => {
  it('is on only for the exact string "true"', () => {
    expect(fluxV1Automated({ 'fluxcd.io/automated': 'true' })).toBe(true);
    expect(fluxV1Automated({ 'flux.weave.works/automated': 'true' })).toBe(true);
    expect(fluxV1Automated({ 'fluxcd.io/automated': 'false' })).toBe(false);
    expect(fluxV1Automated({ 'fluxcd.io/automated': 'True' })).toBe(false);
    expect(fluxV1Automated({})).toBe(false);
    expect(fluxV1Automated(undefined)).toBe(false);
  });

  it('prefers the fluxcd.io spelling', () => {
    expect(fluxV1Automated({ 'fluxcd.io/automated': 'false', 'flux.weave.works/automated': 'true' })).toBe(false);
    expect(fluxV1Automated({ 'fluxcd.io/automated': 'true', 'flux.weave.works/automated': 'false' })).toBe(true);
  });

  it('reads locked separately', () => {
    expect(fluxV1Locked({ 'fluxcd.io/locked': 'true' })).toBe(true);
    expect(fluxV1Locked({ 'flux.weave.works/locked': 'true' })).toBe(true);
    expect(fluxV1Locked({ 'fluxcd.io/automated': 'true' })).toBe(false);
  });
});
