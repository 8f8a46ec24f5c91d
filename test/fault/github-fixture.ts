// The GitHub side of the fault suites: a GitHub double holding the podinfo example as the
// config repo (`delivery: commit`, so main is the result) and an app repo that has
// already released every tag, bots in GitHub mode against it, and the serial result.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { releasePayload, startGitHubDouble, type GitHubDouble } from '../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, startHarness } from '../helpers/app.ts';

export const CONFIG = 'config';

/** Releases exist at the source before any webhook: like real ones whose webhooks were
 *  acknowledged and then lost, a restarted bot can still find them. */
export async function startSourceDouble(tags: string[]): Promise<GitHubDouble> {
  const double = await startGitHubDouble();
  double.addInstallation({ id: INSTALLATION, account: OWNER });
  await double.addRepo({ owner: OWNER, name: CONFIG, files: exampleFiles(), installationId: INSTALLATION });
  await double.addRepo({ owner: OWNER, name: 'podinfo', files: { 'README.md': '# podinfo\n' }, installationId: INSTALLATION });
  for (const tag of tags) await double.createRelease(OWNER, 'podinfo', { tag });
  return double;
}

/** The environment of a bot process in GitHub mode against the double. */
export async function githubBotEnv(double: GitHubDouble, dir: string, opts: { workDir: string; secret: string; key?: string }): Promise<Record<string, string>> {
  const keyFile = path.join(dir, opts.key ?? 'app.pem');
  await writeFile(keyFile, double.privateKey);
  return { APP_ID: String(double.appId), PRIVATE_KEY_PATH: keyFile, WEBHOOK_SECRET: opts.secret, GITHUB_API_URL: double.url, WORK_DIR: opts.workDir };
}

export function releaseOf(double: GitHubDouble, tag: string): object {
  return releasePayload({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: double.url, tag });
}

/** Requests the double says GitHub would refuse or does not have. */
export function contractProblems(double: GitHubDouble): string[] {
  return [
    ...double.violations.map((v) => `contract violation: ${v.method} ${v.path}: ${v.problems.join('; ')}`),
    ...double.unexpected.map((u) => `unexpected request: ${u.method} ${u.path}: ${u.reason}`),
  ];
}

/** Every tag applied in order, one webhook at a time, by the bot wired as src/main.ts
 *  wires it but in this process. In a process of its own the bot spaces its writes a
 *  second apart, as GitHub asks of real traffic (Octokit's throttling): the commit status
 *  each applied release reports back would make 100 events take 100 s. The pacing only
 *  delays requests, so the resulting config repo is the same. */
export async function serialOnGitHub(tags: string[]): Promise<{ repo: string; close(): Promise<void> }> {
  const h = await startHarness({ configFiles: exampleFiles() });
  try {
    for (const tag of tags) await h.double.createRelease(OWNER, 'podinfo', { tag });
    for (const tag of tags) {
      const answer = await h.post('release', releaseOf(h.double, tag));
      if (answer.status !== 200) throw new Error(`serial reference: ${tag} answered ${answer.status} ${answer.body}`);
    }
    const problems = contractProblems(h.double);
    if (problems.length) throw new Error(`serial reference:\n${problems.join('\n')}`);
  } catch (err) {
    await h.close();
    throw err;
  }
  return { repo: h.double.bareDir(OWNER, CONFIG), close: () => h.close() };
}
