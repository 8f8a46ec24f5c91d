// examples/self-managed: the bot keeps its own image current in the config repo like any
// other app. A release of the bot's repository rewrites only the `newTag` of the
// kustomization over deploy/; a 1.0 release, or a tag from another repository, changes
// nothing; and the example validates.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, type ConfigRepo } from '../helpers/cli.ts';
import { ROOT } from './dockerfile.ts';

const EXAMPLE = path.join(ROOT, 'examples/self-managed');
const KUSTOMIZATION = 'platform/gitops-canary/kustomization.yaml';
const IMAGE = 'ghcr.io/example/gitops-canary-bot';

async function exampleFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const rel of await readdir(EXAMPLE, { recursive: true, withFileTypes: true })) {
    if (rel.isFile()) {
      const p = path.relative(EXAMPLE, path.join(rel.parentPath, rel.name));
      files[p] = await readFile(path.join(EXAMPLE, p), 'utf8');
    }
  }
  return files;
}

let repo: ConfigRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe('examples/self-managed', { timeout: 60_000 }, () => {
  it('moves the bot to its own new release by rewriting newTag, and nothing else', async () => {
    const files = await exampleFiles();
    repo = await configRepo(files);
    expect(await repo.run('validate')).toMatchObject({ code: 0 });

    const r = await repo.run('release', `${IMAGE}:0.2.0`, '--source', 'example/gitops-canary-bot');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [last] = await repo.remoteLog();
    expect(last.trailers).toMatchObject({ App: 'gitops-canary', Track: 'stable', Tag: '0.2.0' });
    expect(await repo.changed(last.sha)).toEqual([KUSTOMIZATION]);
    expect(await repo.read(KUSTOMIZATION)).toBe(files[KUSTOMIZATION].replace('newTag: 0.1.0', 'newTag: 0.2.0'));
  });

  it('leaves a 1.0 release and a tag from another repository to a person', async () => {
    repo = await configRepo(await exampleFiles());
    const before = (await repo.remoteLog()).length;
    const major = await repo.run('release', `${IMAGE}:1.0.0`, '--source', 'example/gitops-canary-bot');
    expect(major).toMatchObject({ code: 0, err: '' });
    expect(major.out).toContain('tag 1.0.0 does not match filter semver:>=0.1.0 <1');
    const stranger = await repo.run('release', `${IMAGE}:0.3.0`, '--source', 'someone/else');
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain('someone/else is not the source of any app');
    expect((await repo.remoteLog()).length).toBe(before);
  });
});
