// Pull-request facts that GitHub derives from git: current head/base commits, whether a
// trial merge is clean, and whether branch protection is satisfied.
import { refValue, revParse, runGit, trialMerge } from './gitrepo.ts';
import type { PullLive } from './shapes.ts';
import type { DoubleState, IssueState, RepoState } from './state.ts';

export interface ProtectionVerdict {
  ok: boolean;
  message?: string;
}

/** GitHub keeps every PR's head at `refs/pull/<n>/head` (forks included) and moves it
 *  with the head branch; a closed PR's ref stays where the PR ended. Called before git
 *  is served and whenever a PR is read, so clients see it as GitHub would show it. */
export async function publishPullHeads(repo: RepoState): Promise<void> {
  for (const pr of repo.issues.values()) if (pr.pull) await pullHead(repo, pr);
}

async function pullHead(repo: RepoState, pr: IssueState): Promise<string> {
  const p = pr.pull!;
  if (!p.merged && pr.state !== 'closed') {
    const live = await revParse(repo.bareDir, `refs/heads/${p.head}`);
    if (live) p.headSha = live;
  }
  const ref = `refs/pull/${pr.number}/head`;
  if ((await refValue(repo.bareDir, ref)) !== p.headSha) await runGit(repo.bareDir, ['update-ref', ref, p.headSha]);
  return p.headSha;
}

export class RepoGit {
  constructor(private readonly state: DoubleState) {}

  headSha(repo: RepoState, pr: IssueState): Promise<string> {
    return pullHead(repo, pr);
  }

  async live(repo: RepoState, pr: IssueState): Promise<PullLive> {
    const p = pr.pull!;
    const headSha = await this.headSha(repo, pr);
    const baseSha = (await revParse(repo.bareDir, `refs/heads/${p.base}`)) ?? '';
    if (p.merged || pr.state === 'closed' || !baseSha) return { headSha, baseSha, mergeable: p.merged ? null : false, mergeableState: 'unknown' };
    const trial = await trialMerge(repo.bareDir, baseSha, headSha);
    if (!trial.clean) return { headSha, baseSha, mergeable: false, mergeableState: 'dirty' };
    const verdict = this.protection(repo, pr, headSha);
    return { headSha, baseSha, mergeable: true, mergeableState: verdict.ok ? 'clean' : 'blocked' };
  }

  protection(repo: RepoState, pr: IssueState, headSha: string): ProtectionVerdict {
    const p = pr.pull!;
    const rule = repo.protections.get(p.base);
    if (!rule) return { ok: true };
    const latest = new Map<string, { state: string; commitId: string; login: string }>();
    for (const r of p.reviews) {
      if (r.state === 'COMMENTED') continue;
      latest.set(r.user.login.toLowerCase(), { state: r.state, commitId: r.commitId, login: r.user.login });
    }
    let approvals = 0;
    for (const r of latest.values()) {
      if (r.state !== 'APPROVED') continue;
      if (rule.dismissStaleReviews && r.commitId !== headSha) continue;
      if (rule.reviewersNeedWrite && !['write', 'admin'].includes(this.state.permission(repo, r.login))) continue;
      approvals++;
    }
    if (approvals < rule.requiredApprovals) return { ok: false, message: rule.message };
    for (const context of rule.requiredStatusChecks) {
      const newest = repo.statuses.filter((s) => s.sha === headSha && s.context === context).at(-1);
      if (newest?.state !== 'success') return { ok: false, message: `Required status check "${context}" is expected.` };
    }
    return { ok: true };
  }
}
