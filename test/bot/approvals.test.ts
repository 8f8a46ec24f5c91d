// Whose approvals count toward `approvals: N`: the pure decision, its check run and its
// comment. The same WRITERS rule decides who may run `/canary` commands.
import { describe, expect, it } from 'vitest';
import { approvalsCheck, countApprovals, ignoredComment, needsPermission } from '../../src/bot/approvals.ts';
import { mayChange, WRITERS } from '../../src/bot/authority.ts';
import type { Permission, Review } from '../../src/forge/types.ts';

const REPO = 'acme/config';
const approved = (login: string, bot = false): Review => ({ login, state: 'APPROVED', bot });
const perms = (m: Record<string, Permission>) => (login: string) => m[login];

describe('countApprovals', () => {
  it('counts write, maintain and admin; ignores triage, read and none with the reason', () => {
    const reviews = ['wanda', 'mia', 'ada', 'tri', 'reader', 'stranger'].map((l) => approved(l));
    const tally = countApprovals(reviews, perms({ wanda: 'write', mia: 'maintain', ada: 'admin', tri: 'triage', reader: 'read', stranger: 'none' }), REPO);
    expect(tally.counted).toEqual(['wanda', 'mia', 'ada']);
    expect(tally.ignored).toEqual([
      { login: 'tri', reason: 'tri has triage permission on acme/config; approvals need write, maintain or admin' },
      { login: 'reader', reason: 'reader has read permission on acme/config; approvals need write, maintain or admin' },
      { login: 'stranger', reason: 'stranger has no access to acme/config; approvals need write, maintain or admin' },
    ]);
    expect(tally.withdrawn).toEqual([]);
  });

  it('a permission nobody looked up counts as none (fails closed)', () => {
    expect(countApprovals([approved('ghost')], () => undefined, REPO)).toEqual({
      counted: [],
      ignored: [{ login: 'ghost', reason: 'ghost has no access to acme/config; approvals need write, maintain or admin' }],
      withdrawn: [],
    });
  });

  it('never counts a bot, by type or by a [bot] login, even with admin permission', () => {
    const tally = countApprovals([approved('gitops-canary-bot[bot]'), approved('helper', true)], () => 'admin', REPO);
    expect(tally.counted).toEqual([]);
    expect(tally.ignored.map((i) => i.login)).toEqual(['gitops-canary-bot[bot]', 'helper']);
    expect(tally.ignored[1].reason).toBe('helper is a bot; approvals must come from people with write, maintain or admin permission on acme/config');
  });

  it('a latest "changes requested" or a dismissal withdraws the reviewer, whatever their permission', () => {
    const tally = countApprovals([{ login: 'wanda', state: 'CHANGES_REQUESTED', bot: false }, { login: 'ada', state: 'DISMISSED', bot: false }], () => 'admin', REPO);
    expect(tally.counted).toEqual([]);
    expect(tally.ignored).toEqual([]);
    expect(tally.withdrawn).toEqual([
      { login: 'wanda', reason: 'wanda requested changes; an earlier approval of theirs is withdrawn' },
      { login: 'ada', reason: "ada's review was dismissed" },
    ]);
  });

  it('asks for the permission of approving people only: not of bots, not of withdrawn reviewers', () => {
    expect(needsPermission([approved('wanda'), approved('x[bot]'), approved('app', true), { login: 'cr', state: 'CHANGES_REQUESTED', bot: false }])).toEqual(['wanda']);
  });
});

describe('reports', () => {
  const tally = countApprovals(
    [approved('reader'), approved('wanda'), { login: 'bob', state: 'CHANGES_REQUESTED', bot: false }],
    perms({ reader: 'read', wanda: 'write' }),
    REPO,
  );

  it('the check run lists counted, not counted and withdrawn, and N of M; success only when enough count', () => {
    const one = approvalsCheck(tally, 1);
    expect(one).toMatchObject({ name: 'gitops-canary/approvals', conclusion: 'success', title: '1 of 1 required approval' });
    expect(one.summary).toBe(
      [
        '**1 of 1 required approval counted (@wanda).**',
        '',
        '**Counted**',
        '- @wanda',
        '',
        '**Not counted**',
        '- @reader: reader has read permission on acme/config; approvals need write, maintain or admin',
        '',
        '**Withdrawn**',
        '- @bob: bob requested changes; an earlier approval of theirs is withdrawn',
      ].join('\n'),
    );
    const two = approvalsCheck(tally, 2);
    expect(two).toMatchObject({ conclusion: 'neutral', title: '1 of 2 required approvals' });
    expect(two.summary.split('\n')[0]).toBe('**1 of 2 required approvals counted (@wanda).** gitops-canary merges this pull request once enough approvals count.');
  });

  it('comments only for the reviewer whose approval did not count', () => {
    expect(ignoredComment(tally, 'Reader', 2)).toBe(
      "@reader's approval does not count: reader has read permission on acme/config; approvals need write, maintain or admin.\n\n1 of 2 required approvals counted (@wanda).",
    );
    expect(ignoredComment(tally, 'wanda', 2)).toBeNull();
    expect(ignoredComment(tally, 'bob', 2)).toBeNull();
  });
});

describe('one rule for approvals and commands', () => {
  it('WRITERS are write, maintain and admin', () => {
    expect([...WRITERS]).toEqual(['write', 'maintain', 'admin']);
    expect((['admin', 'maintain', 'write', 'triage', 'read', 'none'] as const).filter(mayChange)).toEqual(['admin', 'maintain', 'write']);
  });
});
