import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.ts';
import {
  formatImageRef,
  normalizeRepository,
  parseImageRef,
  repositoryBaseName,
  sameRepository,
  validateDigest,
  validateTag,
} from '../../../src/policy/image.ts';
import { SHA_A } from './helpers.ts';

describe('parseImageRef', () => {
  it.each([
    ['nginx', { repository: 'nginx' }],
    ['nginx:1.25', { repository: 'nginx', tag: '1.25' }],
    ['ghcr.io/acme/podinfo:0.2.1', { repository: 'ghcr.io/acme/podinfo', tag: '0.2.1' }],
    ['localhost:5000/app:1.0', { repository: 'localhost:5000/app', tag: '1.0' }],
    ['registry:5000/app', { repository: 'registry:5000/app' }],
    ['registry.example.com:5000/team/app:v2_rc-1', { repository: 'registry.example.com:5000/team/app', tag: 'v2_rc-1' }],
    [`ghcr.io/acme/podinfo:0.2.1@${SHA_A}`, { repository: 'ghcr.io/acme/podinfo', tag: '0.2.1', digest: SHA_A }],
    [`ghcr.io/acme/podinfo@${SHA_A}`, { repository: 'ghcr.io/acme/podinfo', digest: SHA_A }],
    ['[::1]:5000/app:1', { repository: '[::1]:5000/app', tag: '1' }],
    ['My.Registry.io/app:1', { repository: 'My.Registry.io/app', tag: '1' }],
    ['a/b__c/d-e.f:x', { repository: 'a/b__c/d-e.f', tag: 'x' }],
  ])('%s', (s, want) => {
    expect(parseImageRef(s)).toEqual(want);
  });

  it.each([
    '',
    '   ',
    'nginx:',
    'nginx:-bad',
    'Nginx:1',
    'acme/Podinfo',
    'ghcr.io//podinfo',
    'ghcr.io/acme/podinfo/',
    'nginx:1.0 ',
    'ngi nx',
    'nginx@sha256:abc',
    'nginx@',
    `nginx:${'x'.repeat(129)}`,
    'bad_host!/app',
    '/app',
  ])('rejects %j with IMAGE_BAD_REF', (s) => {
    let err: unknown;
    try {
      parseImageRef(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('IMAGE_BAD_REF');
    expect((err as PolicyError).message).toContain(JSON.stringify(s));
  });

  it('answers a reference asked again as the first time, in an object of its own; a bad one fails each time', () => {
    const first = parseImageRef('ghcr.io/acme/podinfo:0.2.1');
    (first as { tag?: string }).tag = 'changed';
    expect(parseImageRef('ghcr.io/acme/podinfo:0.2.1')).toEqual({ repository: 'ghcr.io/acme/podinfo', tag: '0.2.1' });
    expect(parseImageRef('ghcr.io/acme/podinfo:0.2.1')).not.toBe(parseImageRef('ghcr.io/acme/podinfo:0.2.1'));
    for (let i = 0; i < 2; i++) expect(() => parseImageRef('acme/Podinfo')).toThrow(PolicyError);
    for (let i = 0; i < 2; i++) expect(() => normalizeRepository('acme/Podinfo')).toThrow(PolicyError);
    // more references than are kept: each still parsed and normalized
    for (let i = 0; i < 5000; i++) expect(normalizeRepository(`Reg.io/team/app-${i}:1`)).toBe(`reg.io/team/app-${i}`);
    expect(normalizeRepository('Reg.io/team/app-7')).toBe('reg.io/team/app-7');
  });

  it('round-trips through formatImageRef', () => {
    for (const s of ['nginx', 'localhost:5000/app:1.0', `a.io/b/c:1@${SHA_A}`, `a.io/b@${SHA_A}`]) {
      expect(formatImageRef(parseImageRef(s))).toBe(s);
    }
  });
});

describe('normalizeRepository / sameRepository', () => {
  it('folds Docker Hub spellings', () => {
    const forms = ['nginx', 'docker.io/nginx', 'docker.io/library/nginx', 'index.docker.io/library/nginx', 'DOCKER.IO/library/nginx', 'registry-1.docker.io/library/nginx'];
    for (const f of forms) expect(normalizeRepository(f)).toBe('docker.io/library/nginx');
    expect(normalizeRepository('user/app')).toBe('docker.io/user/app');
    expect(sameRepository('user/app', 'docker.io/user/app')).toBe(true);
    expect(sameRepository('user/app', 'docker.io/library/app')).toBe(false);
  });

  it('is case-insensitive on the host only, exact otherwise', () => {
    expect(sameRepository('GHCR.io/acme/podinfo', 'ghcr.io/acme/podinfo')).toBe(true);
    expect(sameRepository('ghcr.io/acme/podinfo', 'ghcr.io/acme/podinfo2')).toBe(false);
    expect(sameRepository('ghcr.io/acme/podinfo', 'ghcr.io/other/podinfo')).toBe(false);
    expect(sameRepository('localhost:5000/app', 'localhost:5001/app')).toBe(false);
    expect(sameRepository('ghcr.io/acme/podinfo', 'quay.io/acme/podinfo')).toBe(false);
  });

  it('ignores tag and digest', () => {
    expect(normalizeRepository(`nginx:1.25@${SHA_A}`)).toBe('docker.io/library/nginx');
  });

  it('gives the base name used for screening', () => {
    expect(repositoryBaseName('ghcr.io/acme/podinfo')).toBe('podinfo');
    expect(repositoryBaseName('nginx:1')).toBe('nginx');
    expect(repositoryBaseName('localhost:5000/app')).toBe('app');
  });
});

describe('validateTag / validateDigest', () => {
  it('accepts OCI tags', () => {
    for (const t of ['1', '1.10', 'v1.2.3-rc.1', '_x', 'A'.repeat(128), 'latest']) expect(validateTag(t)).toBe(t);
  });

  it.each(['', '.x', '-x', 'a b', 'a/b', 'a:b', 'A'.repeat(129), 'ä'])('rejects tag %j', (t) => {
    expect(() => validateTag(t)).toThrow(expect.objectContaining({ code: 'IMAGE_BAD_TAG' }));
  });

  it('checks digests', () => {
    expect(validateDigest(SHA_A)).toBe(SHA_A);
    expect(validateDigest(`sha512:${'0'.repeat(128)}`)).toBe(`sha512:${'0'.repeat(128)}`);
    for (const d of ['sha256:abc', `sha256:${'A'.repeat(64)}`, 'abc', `sha256${'a'.repeat(64)}`]) {
      expect(() => validateDigest(d)).toThrow(expect.objectContaining({ code: 'IMAGE_BAD_DIGEST' }));
    }
  });
});
