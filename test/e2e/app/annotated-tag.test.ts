// An annotated tag, through the GitHub double: its push carries the tag OBJECT's sha in
// `after`, which is no commit (GitHub refuses a status on it). The bot reports on, and
// records in the Source-Commit trailer, the commit the tag points at.
import { afterEach, describe, expect, it } from 'vitest';
import { createTagPayload, pushTagPayload } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, seedConfig, startHarness, type Harness } from '../../helpers/app.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const podinfo = (hh: Harness) => ({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: hh.double.url });

async function sourceCommitTrailer(hh: Harness): Promise<string> {
  return (await hh.double.git(OWNER, 'config', 'log', '-1', '--format=%(trailers:key=Gitops-Canary-Source-Commit,valueonly)', 'main')).trim();
}

async function commitConfigHarness(): Promise<Harness> {
  return startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
}

describe('annotated tags', () => {
  it('pushed before its create event: the status and the Source-Commit trailer name the commit, not the tag object', async () => {
    h = await commitConfigHarness();
    const { tagSha, commitSha } = await h.double.tagAnnotated(OWNER, 'podinfo', 'v0.2.1');
    const before = (await h.subjects('config')).length;
    await h.receive('push', pushTagPayload({ ...podinfo(h), tag: 'v0.2.1', sha: commitSha, annotated: { tagSha } }));
    await h.receive('create', createTagPayload({ ...podinfo(h), tag: 'v0.2.1' }));
    const subjects = await h.subjects('config');
    expect(subjects.length).toBe(before + 1);
    expect(subjects[0]).toBe('podinfo: canary 0.2.0 → 0.2.1, canary weight 10%');
    expect(await sourceCommitTrailer(h)).toBe(commitSha);
    expect(h.double.statuses(OWNER, 'podinfo').map((s) => [s.sha, s.state, s.context])).toEqual([[commitSha, 'success', 'gitops-canary']]);
    // No status was tried on the tag object (the double answers that with GitHub's 422).
    expect(h.double.requests.filter((r) => r.operationId === 'repos/create-commit-status').map((r) => [r.path.split('/').pop(), r.status])).toEqual([[commitSha, 201]]);
    expect(h.logs.map((l) => l.msg)).not.toContain('could not report status back to the app repo');
    h.double.assertNoViolations();
  }, 90_000);

  it('a push without head_commit: the bot peels the tag through the API to its commit', async () => {
    h = await commitConfigHarness();
    const { tagSha, commitSha } = await h.double.tagAnnotated(OWNER, 'podinfo', 'v0.2.2');
    const payload = pushTagPayload({ ...podinfo(h), tag: 'v0.2.2', sha: commitSha, annotated: { tagSha } }) as unknown as { head_commit: unknown };
    payload.head_commit = null;
    await h.receive('push', payload);
    expect(await sourceCommitTrailer(h)).toBe(commitSha);
    expect(h.double.statuses(OWNER, 'podinfo').map((s) => [s.sha, s.state])).toEqual([[commitSha, 'success']]);
    expect(h.double.requests.filter((r) => r.operationId === 'git/get-tag').map((r) => r.path.split('/').pop())).toEqual([tagSha]);
    h.double.assertNoViolations();
  }, 90_000);
});
