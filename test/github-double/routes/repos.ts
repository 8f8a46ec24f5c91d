// Repository, contents, refs, branches and collaborator permission, read from the bare repo.
import { git, lsTree, objectType, readBlob, refValue, revParse, runGit } from '../gitrepo.ts';
import { ApiError, needRepo, ok, paginate, str, type Ctx, type Handler } from '../http-util.ts';
import type { RepoState } from '../state.ts';

async function resolveRef(ctx: Ctx, repo: RepoState): Promise<{ ref: string; sha: string }> {
  const ref = ctx.query.get('ref') || repo.defaultBranch;
  const sha = await revParse(repo.bareDir, ref);
  if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`);
  return { ref, sha };
}

function contentEntry(ctx: Ctx, repo: RepoState, ref: string, e: { type: string; sha: string; size?: number; path: string }) {
  const api = `${ctx.shapes.repoApi(repo)}/contents/${e.path}?ref=${encodeURIComponent(ref)}`;
  const type = e.type === 'tree' ? 'dir' : e.type === 'commit' ? 'submodule' : 'file';
  const html = `${ctx.shapes.url}/${repo.owner.login}/${repo.name}/blob/${ref}/${e.path}`;
  const gitUrl = `${ctx.shapes.repoApi(repo)}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`;
  return {
    type,
    name: e.path.split('/').pop(),
    path: e.path,
    sha: e.sha,
    size: e.size ?? 0,
    url: api,
    html_url: html,
    git_url: gitUrl,
    download_url: type === 'file' ? `${ctx.shapes.url}/raw/${repo.owner.login}/${repo.name}/${ref}/${e.path}` : null,
    _links: { self: api, git: gitUrl, html },
  };
}

async function commitJson(ctx: Ctx, repo: RepoState, sha: string) {
  const out = await git(repo.bareDir, ['log', '-1', '--format=%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%P%x00%B', sha]);
  const [tree, an, ae, ad, cn, ce, cd, parents, message] = out.split('\0');
  const api = ctx.shapes.repoApi(repo);
  return {
    sha,
    node_id: `C_${sha}`,
    url: `${api}/commits/${sha}`,
    html_url: `${ctx.shapes.url}/${repo.owner.login}/${repo.name}/commit/${sha}`,
    comments_url: `${api}/commits/${sha}/comments`,
    commit: {
      author: { name: an, email: ae, date: ad },
      committer: { name: cn, email: ce, date: cd },
      message: message.replace(/\n+$/, ''),
      tree: { sha: tree, url: `${api}/git/trees/${tree}` },
      url: `${api}/git/commits/${sha}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    author: null,
    committer: null,
    parents: parents
      .split(' ')
      .filter(Boolean)
      .map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${ctx.shapes.url}/${repo.owner.login}/${repo.name}/commit/${p}` })),
  };
}

export const repoRoutes: Record<string, Handler> = {
  'repos/get': (ctx) => ok(ctx.shapes.repo(needRepo(ctx))),

  'repos/get-content': async (ctx) => {
    const repo = needRepo(ctx);
    const { ref, sha } = await resolveRef(ctx, repo);
    const path = (ctx.params.path ?? '').replace(/^\/+|\/+$/g, '');
    const self = path === '' ? undefined : (await lsTree(repo.bareDir, sha, path, false))[0];
    if (path !== '' && (!self || self.path !== path)) throw new ApiError(404, 'Not Found');
    if (self && self.type === 'blob') {
      const content = await readBlob(repo.bareDir, self.sha);
      const b64 = content.toString('base64').replace(/.{60}/g, '$&\n');
      return ok({ ...contentEntry(ctx, repo, ref, self), encoding: 'base64', content: b64.endsWith('\n') ? b64 : `${b64}\n` });
    }
    const children = await lsTree(repo.bareDir, sha, path, true);
    return ok(children.map((e) => contentEntry(ctx, repo, ref, e)));
  },

  'repos/list-tags': async (ctx) => {
    const repo = needRepo(ctx);
    // GitHub lists tags newest name first; the commit each points at, peeled
    const out = await git(repo.bareDir, ['for-each-ref', '--sort=-v:refname', '--format=%(refname:strip=2) %(*objectname) %(objectname)', 'refs/tags']);
    const api = ctx.shapes.repoApi(repo);
    const tags = out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, peeled, own] = line.split(' ');
        const sha = peeled || own;
        return {
          name,
          commit: { sha, url: `${api}/commits/${sha}` },
          zipball_url: `${api}/zipball/refs/tags/${name}`,
          tarball_url: `${api}/tarball/refs/tags/${name}`,
          node_id: `REF_refs/tags/${name}`,
        };
      });
    return paginate(ctx, tags);
  },

  'git/get-ref': async (ctx) => {
    const repo = needRepo(ctx);
    const ref = `refs/${ctx.params.ref}`;
    // the ref files answer a plain ref; git answers the rest (a symbolic or a missing one)
    let sha = await refValue(repo.bareDir, ref);
    if (!sha) {
      const r = await runGit(repo.bareDir, ['show-ref', '--verify', '--hash', ref]);
      if (r.code !== 0) throw new ApiError(404, 'Not Found');
      sha = r.stdout.trim();
    }
    const type = await objectType(repo.bareDir, sha);
    if (!type) throw new ApiError(404, 'Not Found');
    const api = ctx.shapes.repoApi(repo);
    return ok({ ref, node_id: `REF_${ref}`, url: `${api}/git/${ref}`, object: { type, sha, url: `${api}/git/${type}s/${sha}` } });
  },

  'git/get-tag': async (ctx) => {
    const repo = needRepo(ctx);
    const sha = ctx.params.tag_sha;
    if (!/^[0-9a-f]{40}$/.test(sha) || (await runGit(repo.bareDir, ['cat-file', '-t', sha])).stdout.trim() !== 'tag') throw new ApiError(404, 'Not Found');
    // `git cat-file tag`: header lines (object, type, tag, tagger), a blank line, the message.
    const raw = await git(repo.bareDir, ['cat-file', 'tag', sha]);
    const split = raw.indexOf('\n\n');
    const head = Object.fromEntries(raw.slice(0, split).split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
    const tagger = /^(.*) <([^>]*)> (\d+) [+-]\d{4}$/.exec(head.tagger ?? '');
    const api = ctx.shapes.repoApi(repo);
    return ok({
      node_id: `TAG_${sha}`,
      tag: head.tag,
      sha,
      url: `${api}/git/tags/${sha}`,
      message: raw.slice(split + 2),
      tagger: { name: tagger?.[1] ?? '', email: tagger?.[2] ?? '', date: new Date(Number(tagger?.[3] ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      object: { sha: head.object, type: head.type, url: `${api}/git/${head.type}s/${head.object}` },
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    });
  },

  'git/create-ref': async (ctx) => {
    const repo = needRepo(ctx);
    const ref = str(ctx.body.ref)!;
    const sha = str(ctx.body.sha)!;
    if (!/^refs\/[^/]+\/.+/.test(ref)) throw new ApiError(422, `${ref} is not a valid ref name.`);
    if ((await runGit(repo.bareDir, ['cat-file', '-e', sha])).code !== 0) throw new ApiError(422, 'Object does not exist');
    // Empty old value makes update-ref refuse to overwrite, like GitHub's "already exists".
    if ((await runGit(repo.bareDir, ['update-ref', ref, sha, ''])).code !== 0) throw new ApiError(422, 'Reference already exists');
    const type = (await git(repo.bareDir, ['cat-file', '-t', sha])).trim();
    const api = ctx.shapes.repoApi(repo);
    return ok({ ref, node_id: `REF_${ref}`, url: `${api}/git/${ref}`, object: { type, sha, url: `${api}/git/${type}s/${sha}` } }, 201);
  },

  'git/delete-ref': async (ctx) => {
    const repo = needRepo(ctx);
    const ref = `refs/${ctx.params.ref}`;
    if ((await runGit(repo.bareDir, ['show-ref', '--verify', '--quiet', ref])).code !== 0) throw new ApiError(422, 'Reference does not exist');
    await git(repo.bareDir, ['update-ref', '-d', ref]);
    return { status: 204 };
  },

  'repos/get-branch': async (ctx) => {
    const repo = needRepo(ctx);
    const branch = ctx.params.branch;
    const sha = await revParse(repo.bareDir, `refs/heads/${branch}`);
    if (!sha) throw new ApiError(404, 'Branch not found');
    const api = ctx.shapes.repoApi(repo);
    const protectedBranch = repo.protections.has(branch);
    return ok({
      name: branch,
      commit: await commitJson(ctx, repo, sha),
      _links: { self: `${api}/branches/${branch}`, html: `${ctx.shapes.url}/${repo.owner.login}/${repo.name}/tree/${branch}` },
      protected: protectedBranch,
      protection: { enabled: protectedBranch, required_status_checks: { enforcement_level: 'off', contexts: repo.protections.get(branch)?.requiredStatusChecks ?? [], checks: [] } },
      protection_url: `${api}/branches/${branch}/protection`,
    });
  },

  'repos/get-collaborator-permission-level': (ctx) => {
    const repo = needRepo(ctx);
    const user = ctx.state.actor(ctx.params.username);
    const permission = ctx.state.permission(repo, user.login);
    const perms = {
      admin: permission === 'admin',
      maintain: permission === 'admin',
      push: permission === 'admin' || permission === 'write',
      triage: permission !== 'none',
      pull: permission !== 'none',
    };
    return ok({ permission, role_name: permission, user: { ...ctx.shapes.user(user), permissions: perms, role_name: permission } });
  },
};
