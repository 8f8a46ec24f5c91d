// GitHub API double for end-to-end tests of the app.
//
//   const gh = await startGitHubDouble();
//   gh.addInstallation({ id: 11, account: 'acme' });
//   await gh.addRepo({ owner: 'acme', name: 'config', files: { 'a.yaml': '...' }, installationId: 11 });
//   const probot = new Probot({ appId: gh.appId, privateKey: gh.privateKey, baseUrl: gh.url });
//   ... deliver payloads from payloads.ts (signed with sign()) to the app ...
//   expect(await gh.git('acme', 'config', 'show', 'main:a.yaml')).toContain('...');
//   gh.assertNoViolations();
//   await gh.close();
export { GitHubDouble, startGitHubDouble } from './double.ts';
export type { AddRepoOptions, AddReviewOptions, GitHubDoubleOptions, ProtectBranchOptions, RepoInfo } from './double.ts';
export type { FileSet } from './gitrepo.ts';
export type { RecordedRequest, Unexpected, Violation } from './server.ts';
export type { Permission } from './state.ts';
export {
  createTagPayload,
  issueCommentPayload,
  packagePayload,
  pullRequestPayload,
  pullRequestReviewPayload,
  pushTagPayload,
  registryPackagePayload,
  releasePayload,
  sign,
} from './payloads.ts';
export type { PackageOptions, PullRequestOptions, RepoOptions } from './payloads.ts';
