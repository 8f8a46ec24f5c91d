// Shared setup for the rollout scenarios: the podinfo example in a temp bare remote, a
// warm-clone pool per "replica", a manual clock, a plain gate query function the test
// steers, and every notice and log line captured.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { handleTag } from '../../../src/bot/release.ts';
import type { TickDeps } from '../../../src/bot/tick/tick.ts';
import type { ConfigRepo, Logger, Scope } from '../../../src/bot/types.ts';
import { WorkspacePool } from '../../../src/bot/workspaces.ts';
import { LocalForge } from '../../../src/forge/local.ts';
import type { Forge } from '../../../src/forge/types.ts';
import type { Notice } from '../../../src/notify/index.ts';
import { systemClock, type Clock } from '../../../src/rollout/clock.ts';
import type { QueryResult } from '../../../src/rollout/prometheus.ts';
import { createRemote, git, type TestRemote } from '../../helpers/git-remote.ts';

const EXAMPLE_DIR = path.resolve(import.meta.dirname, '../../../examples/local-config-repo');

export function exampleFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = path.join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out[path.relative(EXAMPLE_DIR, abs).split(path.sep).join('/')] = readFileSync(abs, 'utf8');
    }
  };
  walk(EXAMPLE_DIR);
  return out;
}

export interface RolloutOptions {
  delivery?: 'commit' | 'pull-request';
  approval?: 'per-step' | 'first-step' | 'none';
  /** Weights, or YAML flow text for A/B and mirror steps (`{ mirror: 50 }`). */
  steps?: Array<number | string>;
  bake?: string;
  window?: string[];
  failures?: number;
  promote?: boolean;
  gates?: boolean;
  prometheusUrl?: string;
  mergeMethod?: string;
  /** PromQL of the one gate check (min 0.99). */
  checkQuery?: string;
}

export function rolloutConfig(o: RolloutOptions = {}): string {
  return [
    'apps:',
    '  podinfo:',
    '    image: ghcr.io/example/podinfo',
    '    source: example/podinfo',
    '    tracks:',
    '      stable: { filter: "semver:0.1.*", paths: ["apps/podinfo/ga-dep.yaml"] }',
    '      canary: { filter: "semver:0.2.*", paths: ["apps/podinfo/canary-dep.yaml"] }',
    '    traffic:',
    '      file: apps/podinfo/virtual-service.yaml',
    '      stable: { subset: ga }',
    '      canary: { subset: canary }',
    `    delivery: ${o.delivery ?? 'commit'}`,
    ...(o.mergeMethod ? [`    mergeMethod: ${o.mergeMethod}`] : []),
    '    rollout:',
    `      steps: [${(o.steps ?? [10, 50, 100]).join(', ')}]`,
    `      bake: ${o.bake ?? '1h'}`,
    `      approval: ${o.approval ?? 'none'}`,
    `      promote: ${o.promote ?? true}`,
    ...(o.window ? ['      window:', ...o.window.map((l) => `        ${l}`)] : []),
    ...(o.gates
      ? [
          '      gates:',
          `        prometheus: { url: "${o.prometheusUrl ?? 'http://127.0.0.1:9'}", timeout: 5s }`,
          `        failures: ${o.failures ?? 2}`,
          '        checks:',
          `          - { name: success-rate, query: ${JSON.stringify(o.checkQuery ?? 'sum(rate(ok[1m])) / sum(rate(all[1m]))')}, min: 0.99 }`,
        ]
      : []),
    '',
  ].join('\n');
}

export const quietLog = (): Logger & { lines: Array<{ level: string; obj: unknown; msg?: string }> } => {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
};

export interface Env {
  remote: TestRemote;
  repo: ConfigRepo;
  notices: Notice[];
  log: ReturnType<typeof quietLog>;
  /** What the fake Prometheus answers for every gate query. */
  prometheus: { answer: QueryResult; queries: number };
  scope: Scope;
  /** A new "replica": its own pool (work dir), same remote. */
  replica(clock: Clock): TickDeps;
  /** A canary tag arrives: the bot's release path starts the rollout at step 1. */
  release(tag: string): Promise<void>;
  headSha(): Promise<string>;
  vs(): Promise<string>;
  cleanup(): Promise<void>;
}

export async function setup(o: RolloutOptions = {}, forge?: Forge, repoOverride?: ConfigRepo, tokenFn?: () => Promise<string | undefined>): Promise<Env> {
  const files = { ...exampleFiles(), '.github/gitops-canary.yml': rolloutConfig(o) };
  const remote = await createRemote({ files });
  const work = await mkdtemp(path.join(os.tmpdir(), 'gcb-rollout-'));
  const repo: ConfigRepo = repoOverride ?? { id: { owner: 'acme', name: 'config' }, cloneUrl: remote.url };
  const log = quietLog();
  const notices: Notice[] = [];
  const prometheus = { answer: { status: 'ok', value: 1 } as QueryResult, queries: 0 };
  const scope: Scope = {
    forge: forge ?? new LocalForge(log),
    log,
    token: tokenFn ?? (async () => undefined),
    configRepos: async () => [repo],
    configRepoFor: async () => repo,
  };
  let n = 0;
  const replica = (clock: Clock): TickDeps => ({
    replica: `replica-${++n}`,
    workspaces: new WorkspacePool(path.join(work, `replica-${n}`)),
    notify: (x) => void notices.push(x),
    clock,
    log,
    gateQuery: () => async () => {
      prometheus.queries++;
      return prometheus.answer;
    },
  });
  return {
    remote,
    repo,
    notices,
    log,
    prometheus,
    scope,
    replica,
    async release(tag) {
      await handleTag(replica(systemClock), scope, { tag, source: 'example/podinfo', event: 'release' });
    },
    async headSha() {
      return (await git(remote.bare, 'rev-parse', 'main')).trim();
    },
    async vs() {
      return (await remote.readOnRemote('apps/podinfo/virtual-service.yaml'))!;
    },
    async cleanup() {
      await remote.cleanup();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** `stable=90,canary=10` read from the VirtualService text. */
export function weightsOf(vs: string): { stable: number; canary: number } {
  const m = /subset: ga\n\s+weight: (\d+)[\s\S]*subset: canary\n\s+weight: (\d+)/.exec(vs);
  if (!m) throw new Error(`cannot read weights from:\n${vs}`);
  return { stable: Number(m[1]), canary: Number(m[2]) };
}

/** Trailers of the remote's commits, newest first (prefix stripped). */
export async function trailersOnRemote(remote: TestRemote): Promise<Array<Record<string, string>>> {
  return (await remote.log()).map((c) => {
    const out: Record<string, string> = {};
    for (const line of c.message.split('\n')) {
      const m = /^Gitops-Canary-([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) out[m[1]] = m[2];
    }
    return out;
  });
}
