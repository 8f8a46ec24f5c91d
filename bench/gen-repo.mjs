#!/usr/bin/env node
// A deterministic synthetic GitOps config repo for `npm run bench`, used when the shared
// generator is not around. Same shape as a real Flux monorepo: kustomize base/overlays
// per app, Deployments with sidecars and init containers, comments, Flux image policy
// setter markers with their ImageRepository/ImagePolicy objects, Istio VirtualServices
// and multi-document files. About five YAML files per app.
//
// Usage: node bench/gen-repo.mjs [--apps 2000] [--out DIR] [--seed 7] [--no-git]
// Prints a JSON summary: file counts, reference counts and `probes` (the shared sidecar
// and the first app's image, which the benchmark uses as its many/few-files images).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const apps = Number(option('apps', '2000'));
const seed = Number(option('seed', '7'));
const out = path.resolve(option('out', path.join(process.cwd(), 'bench-repo')));
if (!Number.isInteger(apps) || apps < 1) {
  console.error('--apps must be a positive integer');
  process.exit(2);
}

// xorshift32: tiny, seedable, and the same on every platform.
let state = (seed * 2654435761) >>> 0 || 1;
function random() {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x100000000;
}
const below = (n) => Math.floor(random() * n);
const oneOf = (list) => list[below(list.length)];
const maybe = (p) => random() < p;
const version = () => `${below(5)}.${below(40)}.${below(15)}`;
const hexDigits = (n) => Array.from({ length: n }, () => below(16).toString(16)).join('');

const DOMAINS = ['accounts', 'basket', 'carriers', 'docs', 'events', 'feeds', 'geo', 'hr', 'invoices', 'jobs',
  'kyc', 'labels', 'mail', 'nav', 'offers', 'pay', 'quotes', 'reviews', 'stock', 'tickets', 'users', 'vault',
  'wallet', 'xport', 'yield', 'zones'];
const ROLES = ['api', 'worker', 'poller', 'ui', 'grpc', 'batch', 'relay', 'feeder', 'store', 'audit', 'notifier', 'proxy'];
const REGISTRIES = ['registry.example.com', 'quay.io/acme', 'europe-docker.pkg.dev/acme-prod/apps'];
const SIDECARS = [
  // The probe image of the benchmark: present in a large share of the repo.
  { name: 'log-shipper', repo: 'registry.example.com/platform/log-shipper', tag: '4.2.0', share: 0.45 },
  { name: 'istio-proxy-config', repo: 'registry.example.com/platform/mesh-config', tag: '1.19.3', share: 0.15 },
  { name: 'statsd-exporter', repo: 'prom/statsd-exporter', tag: 'v0.26.0', share: 0.12 },
  { name: 'token-refresher', repo: 'ghcr.io/acme/token-refresher', tag: '2.1.7', share: 0.08 },
];
const INITS = [
  { name: 'migrate-schema', repo: null, tag: null },
  { name: 'wait-for-kafka', repo: 'docker.io/library/busybox', tag: '1.36.1' },
  { name: 'copy-certs', repo: 'alpine', tag: '3.19' },
];

const files = new Map();
const summary = {
  generator: 'bench/gen-repo.mjs',
  apps,
  seed,
  teams: 0,
  files: 0,
  yamlFiles: 0,
  bytes: 0,
  refs: { container: 0, init: 0, cronjob: 0, kustomize: 0, fluxMarkers: 0, digestPinned: 0 },
  virtualServices: 0,
  multiDocFiles: 0,
  probes: {},
};

const teamCount = Math.max(1, Math.ceil(apps / 25));
const teams = Array.from({ length: teamCount }, (_, i) => (i < DOMAINS.length ? DOMAINS[i] : `${DOMAINS[i % DOMAINS.length]}${Math.floor(i / DOMAINS.length)}`));
summary.teams = teamCount;
const automated = new Map(teams.map((t) => [t, []]));

function scalar(value, style) {
  if (style === 'double') return `"${value}"`;
  if (style === 'single') return `'${value}'`;
  return value;
}

function container(lines, dash, name, image, style, marker, extra) {
  const body = ' '.repeat(dash.length + 2);
  lines.push(`${dash}- name: ${name}`);
  lines.push(`${body}image: ${scalar(image, style)}${marker ? ` # {"$imagepolicy": "${marker}"}` : ''}`);
  for (const l of extra) lines.push(`${body}${l}`);
}

function deployment(app, team, image, style, marker, compact) {
  const dash = compact ? '      ' : '        ';
  const L = [];
  L.push(`# ${app}: team ${team}, paged via #${team}-alerts`);
  L.push('---');
  L.push('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: ${app}`, `  namespace: ${team}`);
  L.push('  labels:', `    app: ${app}`, `    team: ${team}`);
  if (maybe(0.3)) L.push('  annotations:', `    config.example.com/owner: "${team}@example.com"`);
  L.push('spec:', `  replicas: ${1 + below(4)} # scaled by KEDA in prod`, '  selector:', '    matchLabels:', `      app: ${app}`);
  L.push('  template:', '    metadata:', '      labels:', `        app: ${app}`, '        track: stable');
  L.push('    spec:', `      serviceAccountName: ${app}`, '      terminationGracePeriodSeconds: 45');
  const inits = [];
  if (maybe(0.3)) inits.push(oneOf(INITS));
  if (inits.length > 0) {
    L.push('      initContainers:');
    for (const init of inits) {
      const img = init.repo ? `${init.repo}:${init.tag}` : image;
      container(L, dash, init.name, img, style, init.repo ? null : marker, ['args: ["--once"]']);
      summary.refs.init++;
    }
  }
  L.push('      containers:');
  container(L, dash, 'app', image, style, marker, [
    'ports:',
    '  - containerPort: 8080',
    '    name: http',
    'env:',
    '  - name: JAVA_OPTS',
    '    value: "-Xmx512m" # keep below the memory limit',
    '  - name: SERVICE_NAME',
    `    value: ${app}`,
    'resources:',
    `  requests: {cpu: ${(1 + below(8)) * 100}m, memory: ${(1 + below(6)) * 128}Mi}`,
    `  limits: {memory: ${(2 + below(6)) * 128}Mi}`,
    'livenessProbe:',
    '  httpGet:',
    '    path: /live',
    '    port: http',
  ]);
  summary.refs.container++;
  let sidecars = 0;
  for (const s of SIDECARS) {
    if (sidecars === 2 || !maybe(s.share)) continue;
    sidecars++;
    L.push(`${dash}# ${s.name} is managed by the platform team`);
    container(L, dash, s.name, `${s.repo}:${s.tag}`, maybe(0.3) ? 'double' : 'plain', null, ['resources:', '  limits: {cpu: 50m, memory: 64Mi}']);
    summary.refs.container++;
    summary.probes[s.repo] = (summary.probes[s.repo] ?? 0) + 1;
  }
  return L.join('\n') + '\n';
}

for (let i = 0; i < apps; i++) {
  const team = teams[i % teamCount];
  const app = `${team}-${oneOf(ROLES)}-${String(i).padStart(4, '0')}`;
  const dir = `tenants/${team}/${app}`;
  const repo = `${oneOf(REGISTRIES)}/${team}/${app}`;
  const tag = version();
  const pinned = maybe(0.04) ? `@sha256:${hexDigits(64)}` : '';
  const flux = maybe(0.35);
  const marker = flux ? `flux-system:${app}` : null;
  const style = oneOf(['plain', 'plain', 'plain', 'double', 'single']);
  if (flux) {
    automated.get(team).push({ app, repo });
    summary.refs.fluxMarkers++;
  }
  if (pinned) summary.refs.digestPinned++;
  if (i === 0) summary.probes.firstApp = { app, image: repo, tag };

  const base = ['deployment.yaml', 'service.yaml'];
  files.set(`${dir}/base/deployment.yaml`, deployment(app, team, `${repo}:${tag}${pinned}`, style, marker, maybe(0.3)));
  files.set(`${dir}/base/service.yaml`, [
    'apiVersion: v1', 'kind: Service', 'metadata:', `  name: ${app}`, `  namespace: ${team}`, 'spec:',
    '  selector:', `    app: ${app}`, '  ports:', '  - name: http', '    port: 80', '    targetPort: http', ''].join('\n'));
  if (maybe(0.25)) {
    base.push('autoscaling.yaml');
    summary.multiDocFiles++;
    files.set(`${dir}/base/autoscaling.yaml`, [
      'apiVersion: autoscaling/v2', 'kind: HorizontalPodAutoscaler', 'metadata:', `  name: ${app}`, 'spec:',
      '  scaleTargetRef:', '    apiVersion: apps/v1', '    kind: Deployment', `    name: ${app}`,
      `  minReplicas: ${1 + below(3)}`, `  maxReplicas: ${4 + below(20)}`, '---',
      '# never drop below one ready pod during node drains', 'apiVersion: policy/v1', 'kind: PodDisruptionBudget',
      'metadata:', `  name: ${app}`, 'spec:', '  minAvailable: 1', '  selector:', '    matchLabels:', `      app: ${app}`, ''].join('\n'));
  }
  if (maybe(0.1)) {
    base.push('cronjob.yaml');
    summary.multiDocFiles++;
    summary.refs.cronjob++;
    files.set(`${dir}/base/cronjob.yaml`, [
      'apiVersion: batch/v1', 'kind: CronJob', 'metadata:', `  name: ${app}-cleanup`, 'spec:',
      `  schedule: "${below(60)} ${below(24)} * * 0"`, '  jobTemplate:', '    spec:', '      template:', '        spec:',
      '          restartPolicy: Never', '          containers:', '          - name: cleanup',
      `            image: ${scalar(`${repo}:${tag}${pinned}`, style)}${marker ? ` # {"$imagepolicy": "${marker}"}` : ''}`,
      '            args: [cleanup, --older-than=30d]', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:',
      `  name: ${app}-cleanup`, 'data:', '  DRY_RUN: "false"', ''].join('\n'));
  }
  files.set(`${dir}/base/kustomization.yaml`, [
    'apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', ...base.map((f) => `- ${f}`),
    'commonLabels:', `  team: ${team}`, ''].join('\n'));

  const withMesh = maybe(0.3);
  for (const env of ['prod', 'staging']) {
    if (env === 'staging' && !maybe(0.4)) continue;
    const K = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', `namespace: ${team}-${env}`, 'resources:', '- ../../base'];
    if (env === 'prod' && withMesh) K.push('- virtualservice.yaml');
    const envTag = env === 'prod' ? tag : version();
    const envMarker = marker && env === 'prod' ? ` # {"$imagepolicy": "${marker}:tag"}` : '';
    K.push('images:', `- name: ${repo}`, `  newTag: ${envTag}${envMarker}`);
    summary.refs.kustomize++;
    if (maybe(0.1)) {
      K.push('- name: prom/statsd-exporter', '  newName: registry.example.com/mirror/statsd-exporter', '  newTag: v0.26.0');
      summary.refs.kustomize++;
    }
    K.push('replicas:', `- name: ${app}`, `  count: ${env === 'prod' ? 2 + below(8) : 1}`);
    files.set(`${dir}/overlays/${env}/kustomization.yaml`, K.join('\n') + '\n');
  }
  if (withMesh) {
    summary.virtualServices++;
    const canary = oneOf([0, 0, 10, 25, 50]);
    files.set(`${dir}/overlays/prod/virtualservice.yaml`, [
      'apiVersion: networking.istio.io/v1beta1', 'kind: VirtualService', 'metadata:', `  name: ${app}`, 'spec:',
      `  hosts: [${app}]`, '  http:', '  - name: main', '    route:', '    - destination:', `        host: ${app}`,
      '        subset: stable', `      weight: ${100 - canary}`, '    - destination:', `        host: ${app}`,
      '        subset: canary', `      weight: ${canary} # moved by the release bot`, '    timeout: 15s', ''].join('\n'));
  }
}

for (const team of teams) {
  files.set(`clusters/prod/${team}-sync.yaml`, [
    'apiVersion: kustomize.toolkit.fluxcd.io/v1', 'kind: Kustomization', 'metadata:', `  name: ${team}`,
    '  namespace: flux-system', 'spec:', '  interval: 5m', `  path: ./tenants/${team}`, '  prune: true',
    '  sourceRef:', '    kind: GitRepository', '    name: flux-system', ''].join('\n'));
  const list = automated.get(team);
  if (list.length === 0) continue;
  summary.multiDocFiles++;
  const D = [`# image automation for team ${team}`];
  for (const { app, repo } of list) {
    D.push('---', 'apiVersion: image.toolkit.fluxcd.io/v1beta2', 'kind: ImageRepository', 'metadata:', `  name: ${app}`,
      '  namespace: flux-system', 'spec:', `  image: ${repo}`, '  interval: 10m', '---',
      'apiVersion: image.toolkit.fluxcd.io/v1beta2', 'kind: ImagePolicy', 'metadata:', `  name: ${app}`,
      '  namespace: flux-system', 'spec:', '  imageRepositoryRef:', `    name: ${app}`, '  policy:', '    semver:',
      '      range: ">=1.0.0"');
  }
  files.set(`infrastructure/image-automation/${team}.yaml`, D.join('\n') + '\n');
}
files.set('README.md', `# fleet config\n\nGenerated by bench/gen-repo.mjs: ${apps} apps, seed ${seed}.\n`);

rmSync(out, { recursive: true, force: true });
for (const [rel, text] of files) {
  const abs = path.join(out, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  summary.files++;
  summary.bytes += Buffer.byteLength(text);
  if (/\.ya?ml$/.test(rel)) summary.yamlFiles++;
}

if (!process.argv.includes('--no-git')) {
  // Fixed identity and dates: the same arguments give the same commit.
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_AUTHOR_DATE: '2024-06-01T00:00:00Z',
    GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid', GIT_COMMITTER_DATE: '2024-06-01T00:00:00Z',
  };
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: out, env, stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', `generated config repo: ${apps} apps, seed ${seed}`);
  summary.commit = git('rev-parse', 'HEAD');
}
console.log(JSON.stringify(summary, null, 2));
