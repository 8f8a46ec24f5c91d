// Running a `/canary` command on a bot PR or an issue in the config repo. Only users
// with write access may run commands; every command gets an answer.
import { loadConfig, type AppConfig, type Config } from '../config/index.ts';
import { BotError } from '../errors.ts';
import type { Workspace } from '../git/workspace.ts';
import { repoName } from '../forge/types.ts';
import { planAb } from '../jobs/ab.ts';
import { promotePrepare } from '../jobs/promote-next.ts';
import { botCommitsIn, workspaceFiles } from '../jobs/run.ts';
import { repoStatus, statusText } from '../jobs/status.ts';
import { planSetWeight } from '../jobs/weights.ts';
import type { Result } from '../plan.ts';
import { mayChange } from './authority.ts';
import { CHATOPS_USAGE, parseCommand, type Command } from './chatops.ts';
import { deliver, type Delivered } from './deliver.ts';
import { noticeFor } from './notices.ts';
import { reconcileLines } from './reconcile/run.ts';
import { autoMerge } from './review.ts';
import { deliverRollback, recordToggle } from './rollback.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';
import { HISTORY_DEPTH } from '../jobs/history.ts';

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

interface Executed {
  text: string;
  /** A PR to merge right away (`merge: auto`), once the working copy is released. */
  auto?: { app: string; config: AppConfig; result: Delivered };
}

async function execute(deps: BotDeps, scope: Scope, ev: CommentEvent, ws: Workspace, command: Command): Promise<Executed> {
  await ws.sync();
  const loaded = loadConfig(ws.dir);
  if (!loaded) return { text: 'this repository has no `.github/gitops-canary.yml`; nothing to do' };
  const { config } = loaded;
  if (command.verb === 'status') {
    const log = await ws.log({ max: HISTORY_DEPTH });
    const report = await repoStatus(workspaceFiles(ws), config, botCommitsIn(log), { log, now: deps.clock.now() });
    const reconciled = reconcileLines(deps.reconciled, repoName(ev.repo.id), deps.clock.now());
    return { text: ['```', ...report.map(statusText), ...(reconciled.length ? ['', ...reconciled] : []), '```'].join('\n') };
  }
  const app = command.app ?? onlyApp(config);
  const cfg = appConfig(config, app);
  const target = { repo: ev.repo, app, lane: 'traffic', config: cfg };
  let result: Delivered | Result;
  switch (command.verb) {
    case 'weight':
      // a weight set by hand leaves an A/B route or mirror as it is
      result = await deliver(ws, scope, target, (repo) => planSetWeight(repo, app, cfg, command.weight, 'set-weight', 'keep'));
      break;
    case 'abort':
      result = await deliver(ws, scope, target, (repo) => planSetWeight(repo, app, cfg, 0, 'abort'));
      break;
    case 'ab':
      result = await deliver(ws, scope, target, (repo) => planAb(repo, app, cfg, command.match));
      break;
    case 'promote':
      result = await deliver(ws, scope, target, await promotePrepare(ws, app, cfg, ev.user));
      break;
    case 'rollback':
      result = await deliverRollback(ws, scope, { ...target, lane: 'rollback' });
      break;
    case 'pause':
    case 'resume':
      result = await recordToggle(ws, app, cfg, command.verb, ev.user);
      break;
  }
  scope.log.info({ app, verb: command.verb, user: ev.user, status: result.status, url: result.url }, result.plan.title);
  const notice = noticeFor(result, { repo: ev.repo, actor: ev.user });
  if (notice) deps.notify(notice, cfg.notify);
  const auto = cfg.merge === 'auto' && 'pr' in result && result.pr ? { app, config: cfg, result } : undefined;
  return { text: result.message, auto };
}

export async function handleComment(deps: BotDeps, scope: Scope, ev: CommentEvent): Promise<'ran' | 'refused' | 'invalid' | 'ignored'> {
  // 1. Is it a command at all?
  const parsed = parseCommand(ev.body);
  if (!parsed) return 'ignored';
  const reply = (text: string) => scope.forge.comment(ev.repo.id, ev.issue, text);
  // 2. Only writers may run commands (the same rule as for approvals that merge).
  const permission = await scope.forge.permission(ev.repo.id, ev.user);
  if (!mayChange(permission)) {
    scope.log.info({ user: ev.user, permission, repo: repoName(ev.repo.id) }, 'refusing /canary command from a user without write access');
    await reply(`Sorry @${ev.user}, \`/canary\` commands need write access to ${repoName(ev.repo.id)} (you have ${permission}). Nothing was changed.`);
    return 'refused';
  }
  if (!parsed.ok) {
    await reply(`@${ev.user} ${parsed.error}. Commands:\n${CHATOPS_USAGE}`);
    return 'invalid';
  }
  // 3. Run it on the config repo and answer with what happened.
  const verb = parsed.command.verb;
  try {
    const done = await deps.workspaces.with(ev.repo, await scope.token(), (ws) => execute(deps, scope, ev, ws, parsed.command));
    await reply(`@${ev.user} \`/canary ${verb}\`:\n\n${done.text}`);
    if (done.auto) await autoMerge(deps, scope, ev.repo, done.auto.app, done.auto.config, done.auto.result);
  } catch (err) {
    // Every command gets an answer, even when the bot itself is at fault.
    const known = err instanceof BotError;
    scope.log[known ? 'warn' : 'error']({ verb, user: ev.user, err: (err as Error).message }, '/canary command failed');
    await reply(`@${ev.user} \`/canary ${verb}\` failed: ${known ? err.message : 'internal error; see the bot\'s logs'}`);
    if (!known) throw err;
  }
  return 'ran';
}
