// GitHub takes at most 50 annotations per check-run request: the forge creates the run
// with the first 50 and appends the rest with updates, and the double (which refuses
// more than 50 per request, as GitHub does) keeps every one.
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotationBatches, GitHubForge } from '../../src/forge/github.ts';
import type { CheckAnnotation } from '../../src/forge/types.ts';
import { startGitHubDouble, type GitHubDouble } from '../github-double/index.ts';

const OWNER = 'acme';
const REPO = 'config';
let double: GitHubDouble;
let forge: GitHubForge;

beforeAll(async () => {
  double = await startGitHubDouble();
  double.addInstallation({ id: 7, account: OWNER });
  await double.addRepo({ owner: OWNER, name: REPO, files: { 'a.yaml': 'x: 1\n' }, installationId: 7 });
  const octokit = new Octokit({ baseUrl: double.url, auth: double.installationToken(7) });
  forge = new GitHubForge(octokit as unknown as ConstructorParameters<typeof GitHubForge>[0]);
});
afterAll(() => double.close());

const annotations = (n: number): CheckAnnotation[] => Array.from({ length: n }, (_, i) => ({ path: 'a.yaml', start_line: i + 1, end_line: i + 1, annotation_level: 'failure', message: `finding ${i + 1}` }));

describe('check-run annotations', () => {
  it('batches of at most 50', () => {
    expect(annotationBatches(annotations(120)).map((b) => b.length)).toEqual([50, 50, 20]);
    expect(annotationBatches(annotations(50)).map((b) => b.length)).toEqual([50]);
    expect(annotationBatches([])).toEqual([]);
  });

  it('120 findings: one create with 50, two updates with 50 and 20; all 120 kept in order', async () => {
    const sha = (await double.git(OWNER, REPO, 'rev-parse', 'main')).trim();
    const before = double.requests.length;
    await forge.reportCheck({ owner: OWNER, name: REPO }, sha, { conclusion: 'failure', title: '120 error(s)', summary: 'many', annotations: annotations(120) });
    const sent = double.requests.slice(before).filter((r) => r.operationId?.startsWith('checks/'));
    expect(sent.map((r) => [r.operationId, r.status])).toEqual([['checks/create', 201], ['checks/update', 200], ['checks/update', 200]]);
    const [run] = double.checkRuns(OWNER, REPO) as Array<{ id: number; conclusion: string; output: { title: string; summary: string; annotations_count: number } }>;
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: '120 error(s)', summary: 'many', annotations_count: 120 } });
    expect(double.checkAnnotations(OWNER, REPO, run.id).map((a) => a.message)).toEqual(annotations(120).map((a) => a.message));
    double.assertNoViolations();
  });
});
