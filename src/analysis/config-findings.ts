// The config's checks against the repo (track paths that match no file, an image no
// track file names, traffic backends the route lacks, subsets that select the other
// track's pods: src/config/repo-checks.ts) for the app a bot change is about. The CLI
// refuses a release on their errors before it plans; the bot has no one at a terminal,
// so they travel with the change as warnings, into the PR body and the check run.
import { checkConfigAgainstRepo, type RepoIssue } from '../config/index.ts';
import { loadConfigAt } from '../config/load.ts';
import type { RepoFiles } from '../manifests/files.ts';
import type { Finding } from './types.ts';

export function issueFinding(i: RepoIssue, severity: Finding['severity'] = i.severity): Finding {
  return { severity, file: i.file, ...(i.line ? { line: i.line } : {}), ...(i.field ? { field: i.field } : {}), message: i.message, code: i.code };
}

/** The repo checks of `app` in the config of the checkout `files` reads, as warnings.
 *  No config, or one that does not load, adds nothing: the caller loaded it to get here. */
export async function configWarnings(files: RepoFiles, app: string | undefined): Promise<Finding[]> {
  if (!app) return [];
  let loaded: ReturnType<typeof loadConfigAt>;
  try {
    // the tree the change is planned on, whose config the caller has just loaded
    loaded = loadConfigAt(files.root, await files.version?.());
  } catch {
    return [];
  }
  if (!loaded?.config.apps[app]) return [];
  const issues = await checkConfigAgainstRepo(files, loaded.config, { apps: [app], file: loaded.file, lineOf: loaded.lineOf });
  return issues.map((i) => issueFinding(i, 'warning'));
}
