// Per-app status read from the repo and the bot's history: what each track runs, how
// traffic is split, and whether the app is paused or has held tags.
import type { AppConfig, Config } from '../config/index.ts';
import { BotError } from '../errors.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { appHistory, type BotCommit } from './history.ts';
import { scanImageRefs } from './images.ts';
import { loadTraffic } from './weights.ts';

export interface TrackStatus {
  track: string;
  filter: string;
  tags: string[];
  files: string[];
}

export interface AppStatus {
  app: string;
  image: string;
  tracks: TrackStatus[];
  weights?: { stable: number; canary: number; others: number };
  held: string[];
  paused: boolean;
  lastChange?: { sha: string; subject: string; at: string; action?: string; step?: string };
  problems: string[];
}

async function trackStatus(repo: RepoFiles, config: AppConfig, track: string): Promise<TrackStatus> {
  const t = config.tracks[track];
  const scan = await scanImageRefs(repo, config.image, t.paths);
  const tags = [...new Set(scan.refs.map((r) => r.ref.tag ?? r.ref.digest ?? '(untagged)'))];
  return { track, filter: t.filter, tags, files: [...new Set(scan.refs.map((r) => r.ref.file))] };
}

export async function appStatus(repo: RepoFiles, app: string, config: AppConfig, commits: BotCommit[]): Promise<AppStatus> {
  const history = appHistory(commits, app);
  const problems: string[] = [];
  const tracks: TrackStatus[] = [];
  for (const track of Object.keys(config.tracks)) tracks.push(await trackStatus(repo, config, track));
  let weights: AppStatus['weights'];
  if (config.traffic) {
    try {
      const { file, editor, spec } = await loadTraffic(repo, app, config);
      const s = editor.read(file, spec);
      weights = { stable: s.stable, canary: s.canary, others: s.others };
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      problems.push(err.message);
    }
  }
  const last = history.commits[0];
  return {
    app,
    image: config.image,
    tracks,
    weights,
    held: history.held,
    paused: history.paused,
    lastChange: last && { sha: last.sha, subject: last.subject, at: last.committerDate, action: last.trailers.Action, step: last.trailers.Step },
    problems,
  };
}

export async function repoStatus(repo: RepoFiles, config: Config, commits: BotCommit[]): Promise<AppStatus[]> {
  const out: AppStatus[] = [];
  for (const [app, c] of Object.entries(config.apps)) out.push(await appStatus(repo, app, c, commits));
  return out;
}

export function statusText(s: AppStatus): string {
  const lines = [`${s.app} (${s.image})${s.paused ? ' [paused]' : ''}`];
  for (const t of s.tracks) lines.push(`  ${t.track.padEnd(8)} ${t.tags.join(', ') || '(no references)'}  [${t.filter}]`);
  if (s.weights) lines.push(`  weights  stable ${s.weights.stable}% / canary ${s.weights.canary}%${s.weights.others ? ` / others ${s.weights.others}%` : ''}`);
  if (s.held.length) lines.push(`  held     ${s.held.join(', ')}`);
  if (s.lastChange) lines.push(`  last     ${s.lastChange.sha.slice(0, 12)} ${s.lastChange.subject} (${s.lastChange.at})`);
  for (const p of s.problems) lines.push(`  problem  ${p}`);
  return lines.join('\n');
}
