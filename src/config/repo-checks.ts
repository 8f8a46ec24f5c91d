// Checks of the config against the files of the repo it lives in: track paths that
// match nothing, an image no track file names, traffic backends the route lacks, subsets
// that select the other track's workloads (track-subsets.ts). They
// need a checkout, so they run beside parsing, not inside it.
//
// Severity: a track path may name a file that is not written yet, so one that matches
// nothing is a warning. When none of an app's paths matches anything, a release cannot
// change anything: still a warning for looking (`status`), an error for changing
// (`purpose: 'change'`). An image no existing track file names and a backend the route
// lacks are errors: the bot would report success and change nothing. So is a subset that
// selects only the other track's pods: every weight change would move the wrong pods'
// share. A subset that misses its track's pods, or also selects the other's, is a
// warning (labels added by kustomize or a patch are not visible here). An app with
// `analysis: warn` gets its errors as warnings.
import { overlayView, type OverlayView } from '../analysis/view.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { treeReader } from '../manifests/image-index.ts';
import { flushStores, treeStoreOf } from '../manifests/tree-store.ts';
import { pathPositions, selectPathsIn } from '../manifests/scan.ts';
import { imagesIn, mentionsImage } from '../policy/image-mentions.ts';
import { ConfigValidationError, formatIssue, type ConfigIssue } from './load.ts';
import { isGlob } from './paths.ts';
import type { AppConfig, Config } from './schema.ts';
import { nearest, suggestKey } from './suggest.ts';
import { checkTraffic } from './traffic-check.ts';
import { checkTrackSubsets } from './track-subsets.ts';

export interface RepoIssue extends ConfigIssue {
  severity: 'error' | 'warning';
  code: string;
  app: string;
}

export interface RepoCheckOptions {
  file?: string;
  lineOf?: (path: (string | number)[]) => number | undefined;
  /** 'change' when the caller is about to edit (release, set-weight): see the header. */
  purpose?: 'inspect' | 'change';
  /** Only these apps (the ones a release routes to). */
  apps?: string[];
}

// Enough files to find an image in; a glob over thousands of files is not read whole.
const MAX_READ = 200;

type Emit = (severity: RepoIssue['severity'], code: string, path: (string | number)[], message: string) => void;

async function checkApp(repo: RepoFiles, name: string, app: AppConfig, files: readonly string[], emit: Emit, purpose: RepoCheckOptions['purpose'], view: OverlayView): Promise<void> {
  const matched = new Set<string>();
  for (const [track, spec] of Object.entries(app.tracks)) {
    spec.paths.forEach((p, i) => {
      const hits = isGlob(p) ? selectPathsIn(files, [p]) : pathPositions(files).has(p) ? [p] : [];
      hits.forEach((h) => matched.add(h));
      if (hits.length > 0) return;
      const near = isGlob(p) ? undefined : suggestKey(p, files);
      const what = isGlob(p) ? 'glob matches no file in the repo' : 'no such file in the repo';
      emit('warning', 'CONFIG_PATH_NO_FILE', ['apps', name, 'tracks', track, 'paths', i], `${what}: ${JSON.stringify(p)}${near ? ` (did you mean "${near}"?)` : ''}`);
    });
  }
  if (matched.size === 0) {
    emit(purpose === 'change' ? 'error' : 'warning', 'CONFIG_TRACKS_NO_FILE', ['apps', name, 'tracks'], `no track path matches a file in the repo, so no release of ${app.image} can change anything`);
  } else {
    const read = [...matched].sort().slice(0, MAX_READ);
    const texts = await Promise.all(read.map((f) => repo.read(f).catch(() => '')));
    if (!texts.some((t) => mentionsImage(t, app.image))) {
      const seen = new Map<string, string[]>();
      texts.forEach((t, i) => imagesIn(t).forEach((img) => seen.set(img, [...(seen.get(img) ?? []), read[i]])));
      const best = nearest(app.image, seen.keys());
      const where = read.length === 1 ? read[0] : `${read.length} files`;
      const more = best ? `; did you mean ${best.value} (in ${seen.get(best.value)!.join(', ')})?` : '';
      emit('error', 'CONFIG_IMAGE_NOT_IN_TRACKS', ['apps', name, 'image'], `${app.image} appears in none of the app's track files (${where})${more}`);
    }
  }
  if (app.traffic) {
    const traffic = await checkTraffic(repo, app.traffic, files);
    for (const p of traffic) emit(p.severity ?? 'error', p.code, ['apps', name, 'traffic', p.key], p.message);
    // which pods the subsets pick is only worth asking of a route the bot can read
    if (traffic.length === 0) for (const p of await checkTrackSubsets(repo, app, files, view)) emit(p.severity, p.code, ['apps', name, 'traffic', p.track, 'subset'], p.message);
  }
}

/** Every problem the repo's files show in `config`, in config order. */
export async function checkConfigAgainstRepo(repo: RepoFiles, config: Config, opts: RepoCheckOptions = {}): Promise<RepoIssue[]> {
  // An app's findings depend on its config and the tree alone: a persistent reader keeps
  // them per tree, and the files are listed, read and parsed only for apps not kept.
  const store = await treeStoreOf(repo);
  let files: string[] | undefined;
  // each file read once for every app (and after a status, not again)
  repo = treeReader(repo);
  // one view for every app: the Services and DestinationRules are parsed once, not per app
  const view = overlayView(repo);
  const out: RepoIssue[] = [];
  for (const [name, app] of Object.entries(config.apps)) {
    if (opts.apps && !opts.apps.includes(name)) continue;
    const emit: Emit = (severity, code, path, message) => {
      const field = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
      out.push({ severity: app.analysis === 'warn' ? 'warning' : severity, code, app: name, file: opts.file ?? '.github/gitops-canary.yml', line: opts.lineOf?.(path), field, message });
    };
    const key = JSON.stringify([name, app, opts.purpose ?? 'inspect']);
    const kept = store?.get<Parameters<Emit>[]>('checks', key);
    if (kept) {
      for (const args of kept) emit(...args);
      continue;
    }
    const found: Parameters<Emit>[] = [];
    files ??= await repo.list();
    await checkApp(repo, name, app, files, (...args) => (found.push(args), emit(...args)), opts.purpose, view);
    store?.set('checks', key, found);
  }
  await flushStores(repo);
  return out;
}

/** One line per issue, warnings marked, as the CLI and PR comments print them. */
export function formatRepoIssue(i: RepoIssue): string {
  return i.severity === 'warning' ? `warning: ${formatIssue(i)}` : formatIssue(i);
}

/** The repo checks for a command about to change `apps`: errors are thrown together as
 *  one ConfigValidationError (every line named), warnings returned for printing. */
export async function refuseRepoErrors(
  repo: RepoFiles,
  loaded: { config: Config; file: string; lineOf?: RepoCheckOptions['lineOf'] },
  opts: Pick<RepoCheckOptions, 'apps' | 'purpose'> = {},
): Promise<RepoIssue[]> {
  const issues = await checkConfigAgainstRepo(repo, loaded.config, { ...opts, file: loaded.file, lineOf: loaded.lineOf });
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new ConfigValidationError(errors);
  return issues;
}
