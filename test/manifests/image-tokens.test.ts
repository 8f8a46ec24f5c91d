// imageTokens answers the first image asked of a policy map by normalising only the
// policies that can name it, and later ones from a map of every policy: both must name
// the same policies, whatever way a repository is written (Docker Hub short names and
// aliases, a host in upper case, a tag or digest written with it).
import { describe, expect, it } from 'vitest';
import type { FluxPolicy } from '../../src/manifests/flux-policies.ts';
import { imageTokens } from '../../src/manifests/scan.ts';

const REPOSITORIES = [
  'nginx',
  'library/nginx',
  'docker.io/library/nginx',
  'index.docker.io/library/nginx:1.25',
  'registry-1.docker.io/library/nginx',
  'docker.io/bitnami/nginx',
  'GHCR.IO/acme/podinfo',
  'ghcr.io/acme/podinfo@sha256:' + 'a'.repeat(64),
  'ghcr.io/acme/podinfo-worker',
  'ghcr.io/other/podinfo',
  'localhost:5000/podinfo',
  'registry.example.com/team/app-0',
  'registry.example.com/team/app-0-canary',
];

const IMAGES = ['nginx', 'docker.io/library/nginx', 'bitnami/nginx', 'ghcr.io/acme/podinfo', 'ghcr.io/other/podinfo', 'localhost:5000/podinfo', 'registry.example.com/team/app-0', 'quay.io/none/here'];

function policies(): Map<string, FluxPolicy> {
  return new Map(REPOSITORIES.map((repository, i) => [`flux-system:p${i}`, { repository }]));
}

describe('imageTokens', () => {
  it('names the same policies on the first question of a policy map as on later ones', () => {
    for (const image of IMAGES) {
      const map = policies();
      const first = imageTokens(map, image);
      // the second question of the same map reads the map of every policy
      imageTokens(map, 'nginx');
      expect(imageTokens(map, image), image).toEqual(first);
    }
    const map = policies();
    expect(imageTokens(map, 'nginx')).toEqual(['nginx', 'flux-system:p0', 'flux-system:p1', 'flux-system:p2', 'flux-system:p3', 'flux-system:p4']);
    expect(imageTokens(map, 'ghcr.io/acme/podinfo')).toEqual(['podinfo', 'flux-system:p6', 'flux-system:p7']);
  });
});
