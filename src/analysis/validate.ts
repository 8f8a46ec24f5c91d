// `gitops-canary validate`: the config (its schema, then its checks against the repo's
// files), then the routing objects it names, analyzed in the repo as it is. Without a
// config, every routing object of the repo is analyzed.
import { checkConfigAgainstRepo, loadConfig, ConfigValidationError } from '../config/index.ts';
import { BotError } from '../errors.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { analyzeObjects, ordered } from './analyze.ts';
import { issueFinding } from './config-findings.ts';
import { destinationRules, resolveHost, ruleHost, sameHost } from './hosts.ts';
import { routeLists } from './istio-routes.ts';
import type { Finding, RepoObject } from './types.ts';
import { overlayView } from './view.ts';

const ROUTING_KINDS = ['VirtualService', 'HTTPRoute', 'DestinationRule'];

export interface Validation {
  findings: Finding[];
  /** The files whose objects were analyzed. */
  files: string[];
}

export async function validateRepo(dir: string, files: RepoFiles): Promise<Validation> {
  let traffic: string[] | undefined;
  let config: Finding[] = [];
  try {
    const loaded = loadConfig(dir);
    if (loaded) traffic = Object.values(loaded.config.apps).flatMap((a) => (a.traffic ? [a.traffic.file] : []));
    // the config against the repo's files: paths that match nothing, an image no track
    // file names, backends the route lacks, subsets that pick the other track's pods
    if (loaded) config = (await checkConfigAgainstRepo(files, loaded.config, { file: loaded.file, lineOf: loaded.lineOf })).map((i) => issueFinding(i));
  } catch (err) {
    if (err instanceof ConfigValidationError) return { findings: err.issues.map((i) => ({ severity: 'error', file: i.file, line: i.line, field: i.field || undefined, message: i.message, code: err.code })), files: [] };
    if (err instanceof BotError) return { findings: [{ severity: 'error', file: err.location.file ?? '.github/gitops-canary.yml', line: err.location.line, field: err.location.field, message: err.detail, code: err.code }], files: [] };
    throw err;
  }
  const view = overlayView(files);
  const paths = traffic ?? [...new Set((await view.objects(ROUTING_KINDS, ROUTING_KINDS)).map((o) => o.file))];
  const subjects = (await Promise.all([...new Set(paths)].sort().map((p) => view.fileObjects(p)))).flat();
  const rules = await rulesFor(subjects, await destinationRules(view));
  return { findings: ordered([...config, ...(await analyzeObjects(unique([...subjects, ...rules]), view))]), files: [...new Set([...paths, ...rules.map((r) => r.file)])].sort() };
}

/** The DestinationRules of the hosts the VirtualServices route to: they are what the
 *  routes depend on, wherever they live. */
async function rulesFor(subjects: RepoObject[], rules: RepoObject[]): Promise<RepoObject[]> {
  const hosts = subjects
    .filter((o) => o.ref.kind === 'VirtualService')
    .flatMap((vs) => routeLists(vs).flatMap((r) => r.destinations.flatMap((d) => (d.host ? [resolveHost(d.host, vs.ref.namespace)] : []))));
  return rules.filter((r) => {
    const h = ruleHost(r);
    return h !== undefined && hosts.some((x) => sameHost(x, h));
  });
}

function unique(objects: RepoObject[]): RepoObject[] {
  const seen = new Set<string>();
  return objects.filter((o) => {
    const key = `${o.file}\0${o.ref.kind}\0${o.ref.namespace ?? ''}\0${o.ref.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
