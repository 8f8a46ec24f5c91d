// A person's pull request in a config repo gets the analysis the bot's own changes get:
// when it touches a file the config watches (or the config), the PR head is validated
// and analyzed and the findings come back as a `gitops-canary` check run on that head.
import { analyzeFiles } from '../analysis/analyze.ts';
import { renderFinding, type Finding } from '../analysis/types.ts';
import { validateRepo } from '../analysis/validate.ts';
import { loadConfig } from '../config/index.ts';
import { CONFIG_FILES } from '../config/schema.ts';
import { repoName } from '../forge/types.ts';
import type { Workspace } from '../git/workspace.ts';
import { workspaceFiles } from '../jobs/run.ts';
import { YAML_FILE } from '../manifests/files.ts';
import { pathFilter } from '../manifests/scan.ts';
import { prCheckReport } from './pr-check-report.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';

export interface PullRequestHead {
  repo: ConfigRepo;
  number: number;
  base: string;
}

interface Analyzed {
  /** The commit analyzed: the PR head when the job ran, which may be newer than the event's. */
  sha: string;
  watched: string[];
  findings: Finding[];
}

export async function checkPullRequest(deps: BotDeps, scope: Scope, pr: PullRequestHead): Promise<'reported' | 'unwatched'> {
  const log = { repo: repoName(pr.repo.id), pr: pr.number };
  // 1. Analyze the PR head in the warm clone; the next job's sync() puts it back on the
  //    default branch (a detached head always takes sync's full checkout).
  const result = await deps.workspaces.with(pr.repo, await scope.token(), (ws) => analyzeHead(ws, pr));
  if (result.watched.length === 0) {
    scope.log.info(log, 'pull request changes no file the config watches; no check run');
    return 'unwatched';
  }
  // 2. Report on the commit that was analyzed.
  await scope.forge.reportCheck(pr.repo.id, result.sha, prCheckReport(result.findings, result.watched));
  scope.log.info({ ...log, sha: result.sha, findings: result.findings.length }, 'pull request checked');
  return 'reported';
}

async function analyzeHead(ws: Workspace, pr: PullRequestHead): Promise<Analyzed> {
  await ws.sync();
  // GitHub keeps every PR's head at refs/pull/<n>/head, forks' too: no fork remote needed.
  const local = `refs/gitops-canary/pr/${pr.number}`;
  await ws.runner.run(['fetch', '-q', '--no-tags', ws.remote ?? 'origin', `+refs/pull/${pr.number}/head:${local}`], { code: 'GIT_FETCH_FAILED', what: `git fetch pull request #${pr.number}` });
  const sha = (await ws.runner.run(['rev-parse', '--verify', `${local}^{commit}`])).stdout.trim();
  const base = (await ws.runner.run(['merge-base', `refs/remotes/${ws.remote ?? 'origin'}/${pr.base}`, sha], { code: 'GIT_BAD_REF' })).stdout.trim();
  const changed = (await ws.runner.run(['diff', '--name-only', '--no-renames', `${base}..${sha}`])).stdout.split('\n').filter(Boolean);
  await ws.checkout(sha);
  const watched = changed.filter(watchedBy(ws.dir));
  if (watched.length === 0) return { sha, watched, findings: [] };
  const files = workspaceFiles(ws);
  const validation = await validateRepo(ws.dir, files);
  const present = new Set(await files.list());
  // Watched manifests that validation does not cover (the tracks' Deployments) are analyzed too.
  const extra = watched.filter((f) => YAML_FILE.test(f) && present.has(f) && !isConfigFile(f) && !validation.files.includes(f));
  return { sha, watched, findings: unique([...validation.findings, ...(await analyzeFiles(files, extra))]) };
}

/** The config at the PR head decides what is watched; a config that does not load there
 *  is itself the news, so then every changed file counts (validation reports why). */
function watchedBy(dir: string): (rel: string) => boolean {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(dir);
  } catch {
    return () => true;
  }
  const apps = Object.values(loaded?.config.apps ?? {});
  const tracks = pathFilter(apps.flatMap((a) => Object.values(a.tracks).flatMap((t) => t.paths)));
  const traffic = new Set(apps.flatMap((a) => (a.traffic ? [a.traffic.file] : [])));
  return (rel) => isConfigFile(rel) || traffic.has(rel) || (apps.length > 0 && tracks(rel));
}

function isConfigFile(rel: string): boolean {
  return (CONFIG_FILES as readonly string[]).includes(rel);
}

function unique(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.severity} ${renderFinding(f)}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
