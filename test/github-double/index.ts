// GitHub API double for end-to-end tests: see double.ts for the server, payloads.ts for
// webhook payload builders.
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
