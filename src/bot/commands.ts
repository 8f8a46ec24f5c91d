// Running a `/canary` command on a bot PR or an issue in the config repo. Only users
// with write access may run commands; every command gets an answer.
import { loadConfig, trafficSteps, type AppConfig, type Config } from '../config/index.ts';
import { BotError } from '../errors.ts';
import type { Workspace } from '../git/workspace.ts';
import { repoName } from '../forge/types.ts';
import { planPromotion } from '../jobs/promote.ts';
import { botCommits, workspaceFiles, type Prepare } from '../jobs/run.ts';
import { repoStatus, statusText } from '../jobs/status.ts';
import { loadTraffic, planSetWeight } from '../jobs/weights.ts';
import type { Result } from '../plan.ts';
import { CHATOPS_USAGE, mayRun, parseCommand, type Command } from './chatops.ts';
import { deliver, type Delivered } from './deliver.ts';
import { noticeFor } from './notices.ts';
import { deliverRollback, recordToggle } from './rollback.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';

export interface CommentEvent {
  repo: ConfigRepo;
  issue: number;
  user: string;
  body: string;
}

function appConfig(config: Config, app: string): AppConfig {
  const c = config.apps[app];
  if (!c) throw new BotError('CHATOPS_UNKNOWN_APP', `unknown app \`${app}\` (known: ${Object.keys(config.apps).map((a) => `\`${a}\``).join(', ')})`);
  return c;
}

function onlyApp(config: Config): string {
  const apps = Object.keys(config.apps);
  if (apps.length !== 1) throw new BotError('CHATOPS_APP_REQUIRED', `name the app: ${apps.map((a) => `\`${a}\``).join(', ')}`);
  return apps[0];
}

/** The next step of the canary; at the last step, promotion. */
async function promotePrepare(ws: Workspace, app: string, cfg: AppConfig, user: string): Promise<Prepare> {
  const { file, editor, spec } = await loadTraffic(workspaceFiles(ws), app, cfg);
  const now = editor.read(file, spec).canary;
  const next = trafficSteps(cfg).find((s) => s > now);
  const extra = { 'Promoted-By': user };
  if (next === undefined) return (repo) => planPromotion(repo, app, cfg, extra);
  return async (repo) => {
    const p = await planSetWeight(repo, app, cfg, next);
    Object.assign(p.plan.trailers, extra);
    return p;
  };
}

async function execute(deps: BotDeps, scope: Scope, ev: CommentEvent, ws: Workspace, command: Command): Promise<string> {
  await ws.sync();
  const loaded = loadConfig(ws.dir);
  if (!loaded) return 'this repository has no `.github/gitops-canary.yml`; nothing to do';
  const { config } = loaded;
  if (command.verb === 'status') {
    const report = await repoStatus(workspaceFiles(ws), config, await botCommits(ws));
    return ['```', ...report.map(statusText), '```'].join('\n');
  }
  const app = command.app ?? onlyApp(config);
  const cfg = appConfig(config, app);
  const target = { repo: ev.repo, app, lane: 'traffic', config: cfg };
  let result: Delivered | Result;
  switch (command.verb) {
    case 'weight':
      result = await deliver(ws, scope.forge, target, (repo) => planSetWeight(repo, app, cfg, command.weight));
      break;
    case 'abort':
      result = await deliver(ws, scope.forge, target, (repo) => planSetWeight(repo, app, cfg, 0, 'abort'));
      break;
    case 'promote':
      result = await deliver(ws, scope.forge, target, await promotePrepare(ws, app, cfg, ev.user));
      break;
    case 'rollback':
      result = await deliverRollback(ws, scope.forge, { ...target, lane: 'rollback' });
      break;
    case 'pause':
    case 'resume':
      result = await recordToggle(ws, app, cfg, command.verb, ev.user);
      break;
  }
  const notice = noticeFor(result, { repo: ev.repo, actor: ev.user });
  if (notice) deps.notify(notice);
  return result.message;
}

export async function handleComment(deps: BotDeps, scope: Scope, ev: CommentEvent): Promise<'ran' | 'refused' | 'invalid' | 'ignored'> {
  // 1. Is it a command at all?
  const parsed = parseCommand(ev.body);
  if (!parsed) return 'ignored';
  const reply = (text: string) => scope.forge.comment(ev.repo.id, ev.issue, text);
  // 2. Only writers may run commands.
  const permission = await scope.forge.permission(ev.repo.id, ev.user);
  if (!mayRun(permission)) {
    scope.log.info({ user: ev.user, permission, repo: repoName(ev.repo.id) }, 'refusing /canary command from a user without write access');
    await reply(`Sorry @${ev.user}, \`/canary\` commands need write access to ${repoName(ev.repo.id)} (you have ${permission}). Nothing was changed.`);
    return 'refused';
  }
  if (!parsed.ok) {
    await reply(`@${ev.user} ${parsed.error}. Commands:\n${CHATOPS_USAGE}`);
    return 'invalid';
  }
  // 3. Run it on the config repo and answer with what happened.
  try {
    const text = await deps.workspaces.with(ev.repo, await scope.token(), (ws) => execute(deps, scope, ev, ws, parsed.command));
    await reply(`@${ev.user} \`/canary ${parsed.command.verb}\`:\n\n${text}`);
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    await reply(`@${ev.user} \`/canary ${parsed.command.verb}\` failed: ${err.message}`);
  }
  return 'ran';
}
