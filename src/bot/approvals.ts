// Whose approvals of a bot PR count toward the app's `approvals: N`. An approval lets the
// bot merge, so it must come from a person who could have pushed the change themselves
// (WRITERS); otherwise anyone with read access could ship a weight change. Pure: the
// reviews and permissions are looked up by the caller (src/bot/approval-gate.ts).
import type { CheckReport, Permission, Review } from '../forge/types.ts';
import { mayChange, writersText } from './authority.ts';

export interface NotCounted {
  login: string;
  reason: string;
}

export interface Tally {
  /** Approvers who count, in review order. */
  counted: string[];
  /** Approvals that do not count (bots, too little permission), with why. */
  ignored: NotCounted[];
  /** Reviewers whose latest decisive review is not an approval: whatever they approved
   *  before no longer counts. */
  withdrawn: NotCounted[];
}

/** Apps never approve for people: the bot's own reviews and every other app's. */
export function isBot(r: Review): boolean {
  return r.bot || /\[bot\]$/i.test(r.login);
}

/** The logins whose permission the decision needs: people whose latest review approves. */
export function needsPermission(reviews: Review[]): string[] {
  return reviews.filter((r) => r.state === 'APPROVED' && !isBot(r)).map((r) => r.login);
}

function permissionReason(login: string, permission: Permission | undefined, repo: string): string {
  const has = !permission || permission === 'none' ? `has no access to ${repo}` : `has ${permission} permission on ${repo}`;
  return `${login} ${has}; approvals need ${writersText()}`;
}

/** `permissionOf` answers for the logins of needsPermission(); an unknown one counts as none. */
export function countApprovals(reviews: Review[], permissionOf: (login: string) => Permission | undefined, repo: string): Tally {
  const tally: Tally = { counted: [], ignored: [], withdrawn: [] };
  for (const r of reviews) {
    if (r.state === 'CHANGES_REQUESTED') tally.withdrawn.push({ login: r.login, reason: `${r.login} requested changes; an earlier approval of theirs is withdrawn` });
    else if (r.state === 'DISMISSED') tally.withdrawn.push({ login: r.login, reason: `${r.login}'s review was dismissed` });
    else if (isBot(r)) tally.ignored.push({ login: r.login, reason: `${r.login} is a bot; approvals must come from people with ${writersText()} permission on ${repo}` });
    else if (!mayChange(permissionOf(r.login) ?? 'none')) tally.ignored.push({ login: r.login, reason: permissionReason(r.login, permissionOf(r.login), repo) });
    else tally.counted.push(r.login);
  }
  return tally;
}

function ofRequired(tally: Tally, required: number): string {
  return `${tally.counted.length} of ${required} required approval${required === 1 ? '' : 's'}`;
}

function progress(tally: Tally, required: number): string {
  const who = tally.counted.length ? ` (${tally.counted.map((l) => `@${l}`).join(', ')})` : '';
  return `${ofRequired(tally, required)} counted${who}`;
}

/** The `gitops-canary/approvals` check run: every approval and why it counts or not. */
export function approvalsCheck(tally: Tally, required: number): CheckReport {
  const enough = tally.counted.length >= required;
  const list = (items: string[]) => (items.length ? items.map((i) => `- ${i}`) : ['- none']);
  const summary = [
    `**${progress(tally, required)}.**${enough ? '' : ' gitops-canary merges this pull request once enough approvals count.'}`,
    '',
    '**Counted**',
    ...list(tally.counted.map((l) => `@${l}`)),
    '',
    '**Not counted**',
    ...list(tally.ignored.map((i) => `@${i.login}: ${i.reason}`)),
    ...(tally.withdrawn.length ? ['', '**Withdrawn**', ...list(tally.withdrawn.map((i) => `@${i.login}: ${i.reason}`))] : []),
  ].join('\n');
  return { name: 'gitops-canary/approvals', conclusion: enough ? 'success' : 'neutral', title: ofRequired(tally, required), summary };
}

/** The PR comment answering a review whose approval did not count; null when it counted
 *  (the merge, or the wait for more, speaks for itself). */
export function ignoredComment(tally: Tally, reviewer: string, required: number): string | null {
  const mine = tally.ignored.find((i) => i.login.toLowerCase() === reviewer.toLowerCase());
  if (!mine) return null;
  return `@${mine.login}'s approval does not count: ${mine.reason}.\n\n${progress(tally, required)}.`;
}
