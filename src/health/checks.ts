// The readiness checks of each mode. GitHub mode: the app authenticates (GitHub accepts
// its JWT and mints an installation token) and the work directory is writable. Local
// mode: git can read the local config repo's HEAD and the work directory is writable.
import { existsSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Probot } from 'probot';
import { GitRunner } from '../git/exec.ts';
import type { Check, CheckResult } from './readiness.ts';

type AppOctokit = Awaited<ReturnType<Probot['auth']>>;

/** Why a call with the app's credentials failed. No status: the JWT was never sent (a key
 *  that does not parse); 401/403/404: GitHub refused it; anything else may pass later. */
function failure(what: string, err: unknown): CheckResult {
  const e = err as Error & { status?: number };
  const message = e.message.split('\n')[0].slice(0, 300);
  if (e.status === undefined) return { ok: false, reason: `cannot make the app's JWT from PRIVATE_KEY (${message}); is it the app's PEM private key?` };
  if ([401, 403, 404].includes(e.status)) return { ok: false, reason: `GitHub refused the app's JWT (${what}: ${e.status} ${message}); check APP_ID and the private key` };
  return { ok: false, reason: `${what} failed: ${e.status} ${message}`, transient: true };
}

/** GET /app with the app JWT, then an installation token for the first installation. An
 *  app with no installation is ready with a warning: it can do nothing yet, but it has to
 *  be up to receive the `installation` webhook that changes that. */
export function githubAppCheck(probot: Pick<Probot, 'auth'>): Check {
  return {
    name: 'github-app',
    async run() {
      const octokit: AppOctokit = await probot.auth();
      let slug: string;
      try {
        slug = String((await octokit.request('GET /app')).data?.slug ?? 'app');
      } catch (err) {
        return failure('GET /app', err);
      }
      let first: { id: number; account?: { login?: string } | null } | undefined;
      try {
        first = (await octokit.request('GET /app/installations', { per_page: 1 })).data[0];
      } catch (err) {
        return failure('GET /app/installations', err);
      }
      if (!first) return { ok: true, detail: `authenticated as ${slug}`, warning: 'the app has no installations yet: install it on the config repositories' };
      try {
        // The request mints the token (through the configured baseUrl, which octokit.auth()
        // called directly would not use); it is cached, so re-checks mint nothing new.
        const installation = await probot.auth(first.id);
        await installation.request('GET /installation/repositories', { per_page: 1 });
      } catch (err) {
        return failure(`minting a token for installation ${first.id}`, err);
      }
      return { ok: true, detail: `authenticated as ${slug}; installation token minted for ${first.account?.login ?? `installation ${first.id}`}` };
    },
  };
}

/** The directory exists (made if need be) and a file can be written in it. */
export function writableDirCheck(name: string, dir: string, setting: string): Check {
  return {
    name,
    async run() {
      const probe = path.join(dir, `.ready-${process.pid}`);
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(probe, '');
        await unlink(probe);
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: `${setting} ${dir} is not writable: ${(err as Error).message}` };
      }
    },
  };
}

/** The local (bare) config repo exists and git can read its HEAD commit. */
export function localRepoCheck(dir: string): Check {
  return {
    name: 'config-repo',
    async run() {
      if (!existsSync(dir)) return { ok: false, reason: `LOCAL_CONFIG_REPO ${dir} does not exist` };
      try {
        // --git-dir: a plain directory inside some other checkout must not borrow its HEAD
        const r = await new GitRunner({ cwd: dir, hermetic: true, timeoutMs: 10_000 }).run([`--git-dir=${dir}`, 'rev-parse', '--verify', 'HEAD^{commit}']);
        return { ok: true, detail: `HEAD ${r.stdout.trim().slice(0, 12)}` };
      } catch (err) {
        return { ok: false, reason: `git cannot read the HEAD of LOCAL_CONFIG_REPO ${dir}: ${(err as Error).message.split('\n')[0]}` };
      }
    },
  };
}
