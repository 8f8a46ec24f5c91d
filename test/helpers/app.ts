// End-to-end harness for the GitHub App: the GitHub double (REST + git over HTTP), a real
// Probot wired exactly as src/main.ts wires it, its HTTP server on 127.0.0.1, a temp work
// dir for the warm clones, and every log line captured for assertions.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ProbotOctokit, type Probot } from 'probot';
import { createApp } from '../../src/app.ts';
import type { NotifierHub } from '../../src/bot/notifier-hub.ts';
import { createRuntime, type Runtime } from '../../src/handlers/runtime.ts';
import { handlerFailed } from '../../src/handlers/guard.ts';
import { createProbot, startServer, WEBHOOKS_PATH, type Listener } from '../../src/server.ts';
import { sign, startGitHubDouble, type GitHubDouble } from '../github-double/index.ts';

export const OWNER = 'example';
export const INSTALLATION = 11;
export const SECRET = 'e2e-webhook-secret';
export const EXAMPLE_DIR = path.resolve(import.meta.dirname, '../../examples/local-config-repo');

/** The embedded podinfo example, as a file map. */
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

/** The seed config, with PR delivery and the bot merging on one approval. */
export function seedConfig(opts: { delivery?: 'commit' | 'pull-request'; merge?: string; approvals?: number; notify?: string; mergeMethod?: string } = {}): string {
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
    '    rollout:',
    '      steps: [10, 60, 100]',
    `    delivery: ${opts.delivery ?? 'pull-request'}`,
    // `merge` only goes with pull requests; the config loader refuses it otherwise.
    ...(opts.delivery === 'commit' ? [] : [`    merge: ${opts.merge ?? 'on-approval'}`, `    approvals: ${opts.approvals ?? 1}`]),
    ...(opts.mergeMethod ? [`    mergeMethod: ${opts.mergeMethod}`] : []),
    ...(opts.notify ? ['    notify:', `      slack: ${opts.notify}`] : []),
    '',
  ].join('\n');
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Harness {
  double: GitHubDouble;
  probot: Probot;
  runtime: Runtime;
  notifier: NotifierHub;
  server: Listener;
  url: string;
  work: string;
  logs: LogLine[];
  /** Delivers an event straight into Probot (no HTTP); handler errors reject. */
  receive(name: string, payload: object): Promise<void>;
  /** POSTs to the webhook endpoint; `signature: null` sends none, a string sends that. */
  post(name: string, payload: object, opts?: { signature?: string | null; id?: string }): Promise<{ status: number; body: string }>;
  /** Commits on a branch of a repo in the double, newest first, as `subject` lines. */
  subjects(repo: string, ref?: string): Promise<string[]>;
  show(repo: string, file: string, ref?: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Config repo files; default: the example with `seedConfig()`. */
  configFiles?: Record<string, string>;
  env?: Record<string, string | undefined>;
  configRepos?: string[];
}

let deliveries = 0;

// Probot hands its own throttle options to the client it builds; a function default is the
// one place to turn pacing off on top of them.
const UNPACED = ProbotOctokit.defaults((options: { throttle?: object }) => ({ ...options, throttle: { ...options.throttle, enabled: false } }));

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const double = await startGitHubDouble();
  double.addInstallation({ id: INSTALLATION, account: OWNER });
  const files = opts.configFiles ?? { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig() };
  await double.addRepo({ owner: OWNER, name: 'config', files, installationId: INSTALLATION });
  await double.addRepo({ owner: OWNER, name: 'podinfo', files: { 'README.md': '# podinfo\n' }, installationId: INSTALLATION });
  await double.addRepo({ owner: OWNER, name: 'intruder', files: { 'README.md': '# not a source of anything\n' }, installationId: INSTALLATION });
  const work = await mkdtemp(path.join(tmpdir(), 'e2e-app-'));
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const probot = await createProbot(
    { appId: String(double.appId), privateKey: double.privateKey, webhookSecret: SECRET, baseUrl: double.url, logLevel: 'debug' },
    // Octokit's throttling spaces content-creating requests (comments, PRs) 3 s apart, as
    // GitHub asks of real traffic; the double has no such limit. (The GitHub-mode process
    // test keeps the default client.)
    { log, Octokit: UNPACED },
  );
  const { runtime, notifier } = createRuntime({
    mode: 'github',
    workDir: work,
    configRepos: opts.configRepos,
    env: opts.env ?? {},
    log: probot.log,
    notify: { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000, attempts: 3 },
  });
  const server = await startServer(probot, createApp(runtime), { port: 0, host: '127.0.0.1', mode: 'github', webhookSecret: SECRET });
  const url = `http://127.0.0.1:${server.port}`;
  const h: Harness = {
    double,
    probot,
    runtime,
    notifier,
    server,
    url,
    work,
    logs,
    async receive(name, payload) {
      await probot.receive({ id: `e2e-${++deliveries}`, name, payload } as Parameters<Probot['receive']>[0]);
      // Handlers are guarded (a failure is logged, never thrown into Probot); surface it.
      if (handlerFailed(payload)) {
        const line = [...logs].reverse().find((l) => l.msg === 'handling the delivery failed');
        throw new Error(String(line?.err ?? 'handler failed'));
      }
    },
    post: (name, payload, o = {}) => postWebhook(url, name, payload, { secret: SECRET, ...o }),
    async subjects(repo, ref = 'main') {
      return (await double.git(OWNER, repo, 'log', '--format=%s', ref)).trim().split('\n');
    },
    show: (repo, file, ref = 'main') => double.git(OWNER, repo, 'show', `${ref}:${file}`),
    async close() {
      await notifier.flush();
      await server.close();
      await double.close();
      await rm(work, { recursive: true, force: true });
    },
  };
  return h;
}

/** A signed (or deliberately unsigned / badly signed) GitHub webhook POST. */
export function postWebhook(
  base: string,
  name: string,
  payload: object,
  opts: { secret: string; signature?: string | null; id?: string },
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': name,
    'x-github-delivery': opts.id ?? `e2e-http-${++deliveries}`,
    'user-agent': 'GitHub-Hookshot/e2e',
  };
  const signature = opts.signature === undefined ? sign(body, opts.secret) : opts.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return new Promise((resolve, reject) => {
    const req = request(`${base}${WEBHOOKS_PATH}`, { method: 'POST', headers }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SlackCapture {
  url: string;
  messages: Array<{ text?: string; blocks?: unknown[] }>;
  /** Status to answer with, per request number (1-based); 200 otherwise. */
  failures: Map<number, number>;
  requests: number;
  close(): Promise<void>;
}

/** A local stand-in for Slack's incoming webhook: records every message it accepts. */
export async function startSlack(): Promise<SlackCapture> {
  const capture: SlackCapture = { url: '', messages: [], failures: new Map(), requests: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const n = ++capture.requests;
      const status = capture.failures.get(n) ?? 200;
      if (status === 200) capture.messages.push(JSON.parse(text) as SlackCapture['messages'][number]);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  capture.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  capture.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return capture;
}

/** Text of everything Slack received, for content assertions. */
export function slackText(m: SlackCapture['messages'][number]): string {
  return JSON.stringify(m);
}
