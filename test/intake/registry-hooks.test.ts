// Registry push notifications: each registry's own payload, verified its own way.
import { describe, expect, it } from 'vitest';
import { parseRegistryHook } from '../../src/intake/registry-hooks.ts';

const TOKEN = 'registry-token-1';
const body = (o: unknown) => Buffer.from(JSON.stringify(o));

// The CNCF distribution registry's envelope (notifications.endpoints), trimmed to real fields.
const distribution = {
  events: [
    {
      id: 'asdf-asdf-asdf-asdf-0',
      timestamp: '2006-01-02T15:04:05Z',
      action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, digest: `sha256:${'a'.repeat(64)}`, length: 1, repository: 'team/api', url: 'https://registry.example.com:5000/v2/team/api/manifests/sha256:…', tag: '1.2.3' },
      request: { id: 'r1', addr: '10.0.0.1:1234', host: 'registry.example.com:5000', method: 'PUT', useragent: 'skopeo' },
      actor: { name: 'ci' },
      source: { addr: 'reg:5000', instanceID: 'x' },
    },
    { action: 'pull', target: { repository: 'team/api', tag: '1.2.3' }, request: { host: 'registry.example.com:5000' } },
  ],
};

const harbor = {
  type: 'PUSH_ARTIFACT',
  occur_at: 1680000000,
  operator: 'admin',
  event_data: {
    resources: [{ digest: `sha256:${'b'.repeat(64)}`, tag: 'v2.0.0', resource_url: 'harbor.example.com/proj/web:v2.0.0' }],
    repository: { date_created: 1680000000, name: 'web', namespace: 'proj', repo_full_name: 'proj/web', repo_type: 'private' },
  },
};

const dockerhub = {
  callback_url: 'https://registry.hub.docker.com/u/acme/web/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/',
  push_data: { pushed_at: 1417566161, pusher: 'acme', tag: 'latest' },
  repository: { name: 'web', namespace: 'acme', repo_name: 'acme/web', repo_url: 'https://registry.hub.docker.com/u/acme/web/', status: 'Active' },
};

const quay = { repository: 'acme/worker', namespace: 'acme', name: 'worker', docker_url: 'quay.io/acme/worker', homepage: 'https://quay.io/repository/acme/worker', updated_tags: ['1.0.1', 'latest'] };

describe('registry push notifications', () => {
  it('read the pushed images of each registry, verified by header or path token', () => {
    expect(parseRegistryHook('/api/registry/distribution', TOKEN, `Bearer ${TOKEN}`, body(distribution))).toEqual({ ok: true, kind: 'distribution', pushes: [{ image: 'registry.example.com:5000/team/api', tag: '1.2.3' }] });
    expect(parseRegistryHook('/api/registry/harbor', TOKEN, TOKEN, body(harbor))).toEqual({ ok: true, kind: 'harbor', pushes: [{ image: 'harbor.example.com/proj/web', tag: 'v2.0.0' }] });
    expect(parseRegistryHook(`/api/registry/dockerhub/${TOKEN}`, TOKEN, undefined, body(dockerhub))).toEqual({ ok: true, kind: 'dockerhub', pushes: [{ image: 'docker.io/acme/web', tag: 'latest' }] });
    expect(parseRegistryHook(`/api/registry/quay/${TOKEN}`, TOKEN, undefined, body(quay))).toEqual({
      ok: true,
      kind: 'quay',
      pushes: [
        { image: 'quay.io/acme/worker', tag: '1.0.1' },
        { image: 'quay.io/acme/worker', tag: 'latest' },
      ],
    });
  });

  it('refuse a missing or wrong token, unknown hooks, and hooks while no token is configured', () => {
    expect(parseRegistryHook('/api/registry/distribution', TOKEN, 'Bearer nope', body(distribution))).toEqual({ ok: false, status: 401, reason: 'distribution notification without the registry webhook token' });
    expect(parseRegistryHook('/api/registry/harbor', TOKEN, undefined, body(harbor))).toMatchObject({ ok: false, status: 401 });
    expect(parseRegistryHook('/api/registry/dockerhub/wrong', TOKEN, undefined, body(dockerhub))).toMatchObject({ ok: false, status: 401 });
    expect(parseRegistryHook('/api/registry/quay', TOKEN, `Bearer ${TOKEN}`, body(quay))).toMatchObject({ ok: false, status: 401 });
    expect(parseRegistryHook('/api/registry/gcr', TOKEN, `Bearer ${TOKEN}`, body({}))).toMatchObject({ ok: false, status: 404 });
    expect(parseRegistryHook('/api/registry/distribution', undefined, `Bearer ${TOKEN}`, body(distribution))).toMatchObject({ ok: false, status: 404 });
  });

  it('refuse bodies that are not a JSON object; ignore events that are not pushes', () => {
    expect(parseRegistryHook('/api/registry/distribution', TOKEN, TOKEN, Buffer.from('{'))).toEqual({ ok: false, status: 400, reason: 'body is not valid JSON' });
    expect(parseRegistryHook('/api/registry/distribution', TOKEN, TOKEN, body([1]))).toEqual({ ok: false, status: 400, reason: 'payload: expected a JSON object' });
    expect(parseRegistryHook('/api/registry/harbor', TOKEN, TOKEN, body({ ...harbor, type: 'DELETE_ARTIFACT' }))).toEqual({ ok: true, kind: 'harbor', pushes: [] });
  });
});
