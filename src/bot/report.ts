// Reporting back on the app repository: a commit status on the tagged commit that links
// the config change, pending while a PR is open, success once it is in the config repo.
import { BotError } from '../errors.ts';
import { parseRepoName, repoName, type RepoId } from '../forge/types.ts';
import type { Trailers } from '../plan.ts';
import type { Delivered } from './deliver.ts';
import type { Scope } from './types.ts';

type State = 'pending' | 'success' | 'failure' | 'error';

function stateOf(results: Delivered[]): { state: State; result: Delivered } | null {
  const failed = results.find((r) => r.error);
  if (failed) return { state: 'failure', result: failed };
  const pr = results.find((r) => r.status === 'pull-request');
  if (pr) return { state: 'pending', result: pr };
  const committed = results.find((r) => r.status === 'committed');
  return committed ? { state: 'success', result: committed } : null;
}

function describe(state: State, r: Delivered): string {
  if (state === 'failure') return `${r.plan.title}: ${r.error}`;
  if (state === 'pending') return `${r.plan.title}: config PR open`;
  return `${r.plan.title}: in the config repo`;
}

async function post(scope: Scope, repo: RepoId, sha: string, status: { state: State; url?: string; description: string }): Promise<void> {
  try {
    await scope.forge.reportStatus(repo, sha, status);
  } catch (err) {
    // The config change stands whether or not the app repo hears about it.
    if (!(err instanceof BotError)) throw err;
    scope.log.warn({ repo: repoName(repo), sha, err: err.message }, 'could not report status back to the app repo');
  }
}

export async function reportBack(scope: Scope, source: RepoId, sha: string, results: Delivered[]): Promise<void> {
  const picked = stateOf(results);
  if (!picked) return;
  await post(scope, source, sha, { state: picked.state, url: picked.result.url, description: describe(picked.state, picked.result) });
}

/** After a bot PR merged: the commit it was made for (its `Source` and `Source-Commit`
 *  trailers) gets a success status linking the PR. */
export async function reportMerged(scope: Scope, trailers: Trailers, pr: { url: string; number: number; title: string }): Promise<void> {
  const source = trailers.Source;
  const sha = trailers['Source-Commit'];
  if (!source || !sha || !/^[0-9a-f]{40}$/.test(sha)) return;
  let repo: RepoId;
  try {
    repo = parseRepoName(source);
  } catch {
    return;
  }
  await post(scope, repo, sha, { state: 'success', url: pr.url, description: `${pr.title}: merged (#${pr.number})` });
}
