// Which routes an Argo Rollout or Flagger Canary sets weights on, by the controllers'
// own rules for names and namespaces, and how their plans read in `status`.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { flaggerAnalysis, rolloutStepText } from '../../src/manifests/controller-steps.ts';
import { directoryFiles, type RepoFiles } from '../../src/manifests/files.ts';
import { istioVirtualService } from '../../src/manifests/istio-virtualservice.ts';
import { parseManifest } from '../../src/manifests/parse.ts';
import { controllersIn, findTrafficOwners, ownedRoutesIn, ownerOfDoc, type TrafficController } from '../../src/manifests/traffic-owners.ts';
import { planSetWeight } from '../../src/jobs/weights.ts';
import { errorOf, y } from './traffic/helpers.ts';

function controllers(text: string): TrafficController[] {
  return controllersIn(parseManifest('apps/ctl.yaml', text));
}

/** The owner of the one routing object in `route`, as `kind ns/name field`. */
function owner(ctl: TrafficController[], route: string): string | undefined {
  const file = parseManifest('apps/route.yaml', route);
  const hit = file.docs.map((d) => ownerOfDoc(ctl, d)).find(Boolean);
  return hit && `${hit.controller.kind} ${hit.controller.namespace ?? '-'}/${hit.controller.name} ${hit.route.field}`;
}

const vs = (name: string, ns?: string, labels = '') =>
  y`
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata:
    name: ${name}${ns ? `\n    namespace: ${ns}` : ''}${labels}
  spec:
    http: []
  `;

const route = (name: string, ns?: string, labels = '') => vs(name, ns, labels).replace('networking.istio.io/v1\nkind: VirtualService', 'gateway.networking.k8s.io/v1\nkind: HTTPRoute');

function rollout(ns: string | undefined, routing: string): string {
  const indented = routing
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n');
  return `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  strategy:\n    canary:\n      trafficRouting:\n${indented}\n`;
}

describe('Argo Rollout trafficRouting', () => {
  it('istio.virtualService resolves in the Rollout namespace, or as name.namespace', () => {
    const ctl = controllers(rollout('shop', 'istio:\n  virtualService:\n    name: web\n    routes: [primary]'));
    expect(owner(ctl, vs('web', 'shop'))).toBe('Rollout shop/web trafficRouting.istio.virtualService');
    expect(owner(ctl, vs('web', 'other'))).toBeUndefined();
    expect(owner(ctl, vs('web-2', 'shop'))).toBeUndefined();
    // a route without a namespace gets one from kustomize or kubectl -n: it may be the one
    expect(owner(ctl, vs('web'))).toBe('Rollout shop/web trafficRouting.istio.virtualService');
    // an HTTPRoute of that name is not what Istio routing names
    expect(owner(ctl, route('web', 'shop'))).toBeUndefined();
    expect(ctl[0].routes[0].routes).toEqual(['primary']);

    const qualified = controllers(rollout('shop', 'istio:\n  virtualService: {name: web.edge}'));
    expect(owner(qualified, vs('web', 'edge'))).toBe('Rollout shop/web trafficRouting.istio.virtualService');
    expect(owner(qualified, vs('web', 'shop'))).toBeUndefined();
  });

  it('istio.virtualServices names several, each with its index', () => {
    const ctl = controllers(rollout(undefined, 'istio:\n  virtualServices:\n    - name: a\n      routes: [x]\n    - name: b.mesh'));
    // a Rollout without a namespace: its bare references match any namespace
    expect(owner(ctl, vs('a', 'anywhere'))).toBe('Rollout -/web trafficRouting.istio.virtualServices[0]');
    expect(owner(ctl, vs('b', 'mesh'))).toBe('Rollout -/web trafficRouting.istio.virtualServices[1]');
    expect(owner(ctl, vs('b', 'shop'))).toBeUndefined();
  });

  it('the Gateway API plugin: httpRoute, httpRoutes, namespace and a label selector, under any plugin name', () => {
    const single = controllers(rollout('shop', 'plugins:\n  argoproj-labs/gatewayAPI:\n    httpRoute: web'));
    expect(owner(single, route('web', 'shop'))).toBe('Rollout shop/web trafficRouting.plugins["argoproj-labs/gatewayAPI"].httpRoute');
    expect(owner(single, vs('web', 'shop'))).toBeUndefined();

    const many = controllers(rollout('shop', 'plugins:\n  gatewayAPI:\n    namespace: gw\n    httpRoutes:\n      - name: a\n        useHeaderRoutes: true\n      - name: b'));
    expect(owner(many, route('b', 'gw'))).toBe('Rollout shop/web trafficRouting.plugins["gatewayAPI"].httpRoutes[1]');
    expect(owner(many, route('a', 'shop'))).toBeUndefined();

    const selected = controllers(rollout('shop', 'plugins:\n  argoproj-labs/gatewayAPI:\n    httpRouteSelector:\n      matchLabels: {canary: web}'));
    expect(owner(selected, route('anything', 'shop', '\n    labels: {canary: web, team: a}'))).toBe('Rollout shop/web trafficRouting.plugins["argoproj-labs/gatewayAPI"].httpRouteSelector');
    expect(owner(selected, route('anything', 'shop', '\n    labels: {canary: api}'))).toBeUndefined();
  });

  it('a Rollout without trafficRouting, or another group\'s Rollout, owns no route', () => {
    expect(controllers(rollout('shop', 'smi: {}'))[0].routes).toEqual([]);
    expect(controllers(rollout('shop', 'istio:\n  virtualService: {name: web}').replace('argoproj.io/v1alpha1', 'example.com/v1'))).toEqual([]);
  });
});

describe('Flagger Canary', () => {
  const canary = (spec: string) =>
    `apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web-app}\n${spec}`;

  it('generates its route from spec.service.name, else the target name, in its namespace', () => {
    const byTarget = controllers(canary('  service: {port: 80}\n'));
    expect(owner(byTarget, vs('web-app', 'shop'))).toBe('Canary shop/web spec.targetRef.name');
    expect(owner(byTarget, vs('web-app', 'other'))).toBeUndefined();
    const byService = controllers(canary('  service: {name: web-apex, port: 80}\n'));
    expect(owner(byService, vs('web-apex', 'shop'))).toBe('Canary shop/web spec.service.name');
    expect(owner(byService, vs('web-app', 'shop'))).toBeUndefined();
    expect(byService[0].workloads).toEqual([{ kind: 'Deployment', namespace: 'shop', name: 'web-app' }]);
  });

  it('the provider decides the kind: Istio a VirtualService, Gateway API an HTTPRoute, unset either, others neither', () => {
    const kinds = (provider: string) => controllers(canary(`  provider: ${provider}\n  service: {port: 80}\n`))[0].routes.map((r) => r.kind);
    expect(kinds('istio')).toEqual(['VirtualService']);
    expect(kinds('gatewayapi:v1')).toEqual(['HTTPRoute']);
    expect(kinds('linkerd')).toEqual([]);
    expect(controllers(canary('  service: {port: 80}\n'))[0].routes.map((r) => r.kind)).toEqual(['VirtualService', 'HTTPRoute']);
  });
});

describe('controller plans, readable', () => {
  it('prints every kind of Rollout step', () => {
    expect(
      [
        { setWeight: 5 },
        { pause: {} },
        { pause: { duration: '1h' } },
        { pause: { duration: 90 } },
        { analysis: { templates: [{ templateName: 'success-rate' }, { templateName: 'latency' }] } },
        { setCanaryScale: { weight: 25 } },
        { setCanaryScale: { matchTrafficWeight: true } },
        { setHeaderRoute: { name: 'h', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }, { headerName: 'ua', headerValue: { prefix: 'Moz' } }] } },
        { setMirrorRoute: { name: 'm', match: [{ path: { prefix: '/api' }, headers: { 'x-a': { regex: 'b.*' } } }] } },
        { plugin: { name: 'acme/step' } },
        { somethingNew: {} },
      ].map(rolloutStepText),
    ).toEqual([
      'setWeight 5%',
      'pause until promoted',
      'pause 1h',
      'pause 90s',
      'analysis success-rate, latency',
      'setCanaryScale: canary replicas at 25% of spec.replicas',
      'setCanaryScale: canary replicas follow the traffic weight',
      'setHeaderRoute h: requests with x-canary = "yes" and ua starts with "Moz" go to the canary',
      'setMirrorRoute m: mirror 100% of requests with path starts with "/api" and x-a ~ b.* to the canary',
      'plugin acme/step',
      'somethingNew',
    ]);
  });

  it('prints a Canary\'s weights from stepWeights, an A/B test and a mirror', () => {
    expect(flaggerAnalysis({ spec: { analysis: { interval: '30s', stepWeights: [1, 5, 25, 80] } } })).toEqual(['canary weight 1% → 5% → 25% → 80%, one step every 30s (stepWeights)']);
    expect(
      flaggerAnalysis({ spec: { analysis: { interval: '1m', iterations: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } }] } } }),
    ).toEqual(['10 iterations every 1m for requests with x-canary = "insider", or cookie ~ ^(.*?;)?(canary=always)(;.*)?$']);
    expect(flaggerAnalysis({ spec: { canaryAnalysis: { stepWeight: 20, mirror: true, mirrorWeight: 50 } } })).toEqual([
      'canary weight 20% → 40% → 60% → 80% → 100% (stepWeight 20, maxWeight 100)',
      'mirror 50% of the traffic to the canary before shifting it',
    ]);
    expect(flaggerAnalysis({ spec: { analysis: { stepWeight: 1, maxWeight: 60 } } })[0]).toBe('canary weight 1% → 2% → 3% → … → 59% → 60% (stepWeight 1, maxWeight 60)');
  });
});

describe('owned routes of a file, and the Flagger ownerReference', () => {
  it('names each owned object with its line', () => {
    const ctl = controllers(rollout('shop', 'istio:\n  virtualServices: [{name: b}]'));
    const file = parseManifest('apps/routes.yaml', `${vs('a', 'shop')}---\n${vs('b', 'shop')}`);
    expect(ownedRoutesIn(ctl, file).map((o) => o.where)).toEqual([{ file: 'apps/routes.yaml', line: 9, object: 'VirtualService/shop/b' }]);
  });

  it('refuses a route an Argo Rollout owns through ownerReferences', () => {
    const text = y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: web
        ownerReferences:
          - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: web}
      spec:
        http:
          - route:
              - destination: {host: web-stable}
                weight: 100
              - destination: {host: web-canary}
                weight: 0
    `;
    const e = errorOf(() => istioVirtualService.set(parseManifest('r.yaml', text), { stable: { host: 'web-stable' }, canary: { host: 'web-canary' } }, 10));
    expect(e.code).toBe('TRAFFIC_OWNED');
    expect(e.message).toBe('r.yaml:1 VirtualService/web metadata.ownerReferences[0]: owned by Argo Rollout web; let the Rollout set its weights (README: "Argo Rollouts and Flagger")');
  });
});

describe('the repo-wide search', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function repoWith(files: Record<string, string>): Promise<RepoFiles> {
    dir = await mkdtemp(path.join(os.tmpdir(), 'owners-'));
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
    return directoryFiles(dir);
  }

  it('parses only files that declare a controller kind, and reports a broken one', async () => {
    const repo = await repoWith({
      'apps/rollout.yaml': rollout('shop', 'istio:\n  virtualService: {name: web}'),
      // mentions the words, declares neither: never parsed, so its broken YAML is no finding
      'apps/notes.yaml': '# the Canary Deployment, not a Rollout\nkey: [unclosed\n',
      'apps/broken.yaml': 'kind: Canary\nspec: [unclosed\n',
      'apps/readme.md': 'kind: Rollout\n',
    });
    const found = await findTrafficOwners(repo);
    expect(found.controllers.map((c) => `${c.file} ${c.kind}`)).toEqual(['apps/rollout.yaml Rollout']);
    expect(found.skipped.map((s) => s.file)).toEqual(['apps/broken.yaml']);
  });

  it('a cached search is used only while the tree is the same', async () => {
    await repoWith({ 'a.yaml': rollout('shop', 'istio:\n  virtualService: {name: web}') });
    // a fresh reader each time, as each planning pass makes one
    const reader = (version?: string): RepoFiles => ({ ...directoryFiles(dir!), version: async () => version });
    expect((await findTrafficOwners(reader('v1'))).controllers).toHaveLength(1);
    await writeFile(path.join(dir!, 'a.yaml'), 'kind: ConfigMap\n');
    // same version: the answer of the last search, though the file changed underneath
    expect((await findTrafficOwners(reader('v1'))).controllers).toHaveLength(1);
    expect((await findTrafficOwners(reader('v2'))).controllers).toHaveLength(0);
    // no version (a dirty tree): searched again every time
    await writeFile(path.join(dir!, 'a.yaml'), rollout('shop', 'istio:\n  virtualService: {name: web}'));
    expect((await findTrafficOwners(reader(undefined))).controllers).toHaveLength(1);
  });

  it('set-weight names the owner even when the controller left weights the bot would refuse', async () => {
    const config = parseConfig(
      y`
      apps:
        web:
          image: ghcr.io/acme/web
          source: acme/web
          tracks:
            stable: { filter: "semver:0.1.*", paths: ["apps/ga.yaml"] }
            canary: { filter: "semver:0.2.*", paths: ["apps/rollout.yaml"] }
          traffic:
            file: apps/vs.yaml
            stable: { host: web-stable }
            canary: { host: web-canary }
            steps: [10, 100]
      `,
    );
    const repo = await repoWith({
      'apps/rollout.yaml': rollout('shop', 'istio:\n  virtualService: {name: web}'),
      // mid-rollout weights that do not add up to 100 would otherwise be the complaint
      'apps/vs.yaml': `${vs('web', 'shop').replace('http: []', 'http:\n  - route:\n      - destination: {host: web-stable}\n        weight: 70\n      - destination: {host: web-canary}\n        weight: 20')}`,
    });
    const e = await planSetWeight(repo, 'web', config.apps.web, 10).then(
      () => undefined,
      (err: Error & { code?: string }) => err,
    );
    expect(e?.code).toBe('TRAFFIC_OWNED');
    expect(e?.message).toBe(
      'apps/vs.yaml:1 VirtualService/shop/web: weights are managed by Argo Rollout shop/web (apps/rollout.yaml:1, trafficRouting.istio.virtualService); let the Rollout set them (README: "Argo Rollouts and Flagger")',
    );
  });
});
