// Cost of a reconcile pass over a fleet whose sources have not changed, against the
// GitHub double (real git over HTTP, every request checked against GitHub's OpenAPI).
//
//   tsx bench/reconcile.ts [--apps 100] [--runs 5]
//
// A config repo with N apps (one Deployment each, already at its source's newest
// release); N source repos with that release. Printed: the first pass (cold: every list
// read and every track planned once), then warm passes (lists answered 304, tracks
// already reconciled at this config head), and a pass after a restart (nothing
// remembered). Target (issue 9): a warm pass of 100 apps under 2 s with no writing
// request. Prints, never fails.
import { performance } from 'node:perf_hooks';
import { startReconciler } from '../src/bot/reconcile/loop.ts';
import { newReconcileMemo } from '../src/bot/reconcile/run.ts';
import { scheduledScopes } from '../src/handlers/schedule.ts';
import type { RecordedRequest } from '../test/github-double/index.ts';
import { INSTALLATION, OWNER, startHarness } from '../test/helpers/app.ts';
import { intOption, median, recordTarget } from './measure.ts';

const writes = (rs: RecordedRequest[]) => rs.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.path.endsWith('/git-upload-pack') && !r.path.startsWith('/app/installations/'));

const apps = intOption(process.argv, 'apps', 100);
const runs = intOption(process.argv, 'runs', 5);
const files: Record<string, string> = {};
const config = ['apps:'];
for (let i = 0; i < apps; i++) {
  files[`apps/app-${i}/deployment.yaml`] = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: { name: app-${i}, namespace: fleet }`,
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: main',
    `          image: ghcr.io/${OWNER}/app-${i}:1.0.0`,
    '',
  ].join('\n');
  config.push(`  app-${i}:`, `    image: ghcr.io/${OWNER}/app-${i}`, `    source: ${OWNER}/app-${i}`, '    tracks:', `      stable: { filter: "semver:1.0.*", paths: ["apps/app-${i}/deployment.yaml"] }`, '    delivery: commit');
}
files['.github/gitops-canary.yml'] = `${config.join('\n')}\n`;

const h = await startHarness({ configFiles: files });
try {
  for (let i = 0; i < apps; i++) {
    await h.double.addRepo({ owner: OWNER, name: `app-${i}`, files: { 'README.md': `# app-${i}\n` }, installationId: INSTALLATION });
    await h.double.createRelease(OWNER, `app-${i}`, { tag: 'v1.0.0' });
  }
  const scopes = scheduledScopes(h.probot, { mode: 'github', configRepos: [], localConfigRepo: '' });
  const pass = async (memo = newReconcileMemo(), s = scopes) => {
    const r = startReconciler({ deps: { ...h.runtime.deps, reconciled: memo }, scopes: s, intervalMs: 0, memo });
    const before = h.double.requests.length;
    const t = performance.now();
    const out = await r.run();
    const ms = performance.now() - t;
    const seen = h.double.requests.slice(before);
    return { ms, apps: out.length, changed: out.filter((o) => o.changed).length, requests: seen.length, notModified: seen.filter((q) => q.status === 304).length, writes: writes(seen).length };
  };
  const memo = newReconcileMemo();
  const cold = await pass(memo);
  console.log(`${apps} apps, sources unchanged since the config was written`);
  console.log(`cold pass (first after start): ${cold.ms.toFixed(0)} ms, ${cold.requests} requests, ${cold.writes} writing, ${cold.changed} apps changed`);
  const warm = [];
  for (let i = 0; i < runs; i++) warm.push(await pass(memo));
  const w = median(warm.map((x) => x.ms));
  console.log(`warm pass (median of ${runs}): ${w.toFixed(0)} ms, ${warm[0].requests} requests (${warm[0].notModified} answered 304), ${Math.max(...warm.map((x) => x.writes))} writing`);
  const restarted = await pass(newReconcileMemo(), scheduledScopes(h.probot, { mode: 'github', configRepos: [], localConfigRepo: '' }));
  console.log(`pass after a restart (nothing remembered): ${restarted.ms.toFixed(0)} ms, ${restarted.requests} requests, ${restarted.writes} writing`);
  const holds = w < 2000 && warm.every((x) => x.writes === 0);
  console.log(`target: a warm pass of ${apps} unchanged apps under 2 s with no writing request: ${holds ? 'holds' : 'MISSED'} (${w.toFixed(0)} ms)`);
  recordTarget({ bench: 'reconcile', what: `warm reconcile pass, ${apps} unchanged apps`, measured: `${w.toFixed(0)} ms, ${Math.max(...warm.map((x) => x.writes))} writing`, target: '< 2 s, no writing request', holds });
} finally {
  await h.close();
}
