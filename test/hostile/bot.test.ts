// Hostile content reaching the bot through signed webhooks and the config repo itself,
// end to end through the GitHub double: tag names built to break shells, paths, trailers
// and limits; an alias bomb and an oversized manifest beside the files a release edits.
// Each asserts the answer, what the log says, and that untouched files keep their blobs.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { releasePayload } from '../github-double/index.ts';
import { aliasBomb } from '../helpers/hostile.ts';
import { exampleFiles, INSTALLATION, OWNER, seedConfig, startHarness, type Harness } from '../helpers/app.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const repo = (hh: Harness) => ({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: hh.double.url });
const blob = async (hh: Harness, file: string) => (await hh.double.git(OWNER, 'config', 'rev-parse', `main:${file}`)).trim();

/** Any tag reaches the canary track: only the tag grammar stands between it and a file. */
const openConfig = () => seedConfig({ delivery: 'commit' }).replace('semver:0.2.*', 'glob:*');

describe('hostile tag names', () => {
  it('are refused with the reason and change nothing, whatever they try', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': openConfig() } });
    const head = (await h.double.git(OWNER, 'config', 'rev-parse', 'main')).trim();
    const tags = ['-rf', 'v0.2.9\nGitops-Canary-App: evil', '$(touch /tmp/gitops-canary-pwned)', '../../etc/passwd', `v${'1'.repeat(299)}`, '`id`', 'v0.2.9;rm -rf /'];
    for (const [i, tag] of tags.entries()) {
      const r = await h.post('release', releasePayload({ ...repo(h), tag }), { id: `hostile-tag-${i}` });
      expect({ tag, status: r.status }).toEqual({ tag, status: 200 });
    }
    expect((await h.double.git(OWNER, 'config', 'rev-parse', 'main')).trim()).toBe(head);
    expect(existsSync('/tmp/gitops-canary-pwned')).toBe(false);
    // Each was refused by the tag grammar, once, with the tag quoted (so a newline in it
    // cannot pass for another log field or trailer) and the reason.
    for (let i = 0; i < tags.length; i++) {
      const lines = h.logs.filter((l) => l.id === `hostile-tag-${i}` && l.code === 'TAG_INVALID');
      expect(lines).toHaveLength(1);
      const err = String(lines[0].err);
      expect(err).toMatch(/^".*" is not a valid image tag: use letters, digits, '_', '\.', '-' \(not first\), at most 128 characters$/);
      expect(err).not.toContain('\n');
      expect(err.length).toBeLessThan(300);
    }
    // Nothing was reported back on the app repo for a change that never happened.
    expect(h.double.statuses(OWNER, 'podinfo')).toEqual([]);
    h.double.assertNoViolations();
  }, 120_000);
});

describe('hostile files in the config repo', () => {
  it('an alias bomb and an oversized manifest are skipped with their reasons; the release lands in the other files', async () => {
    const bomb = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: mentions-podinfo }',
      '# ghcr.io/example/podinfo is mentioned here, so the screen picks this file up',
      'data:',
      aliasBomb(8, 2),
    ].join('\n');
    const files = exampleFiles();
    const big = `${files['apps/podinfo/canary-dep.yaml']}---\n${'# padding\n'.repeat(500_000)}`;
    const config = seedConfig({ delivery: 'commit' }).replace('paths: ["apps/podinfo/canary-dep.yaml"]', 'paths: ["apps/podinfo/canary-dep.yaml", "apps/podinfo/bomb.yaml", "apps/podinfo/big.yaml"]');
    h = await startHarness({ configFiles: { ...files, '.github/gitops-canary.yml': config, 'apps/podinfo/bomb.yaml': bomb, 'apps/podinfo/big.yaml': big } });
    const before = { bomb: await blob(h, 'apps/podinfo/bomb.yaml'), big: await blob(h, 'apps/podinfo/big.yaml') };

    const r = await h.post('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }), { id: 'hostile-files' });
    expect(r.status).toBe(200);
    expect((await h.subjects('config'))[0]).toBe('podinfo: canary 0.2.0 → 0.2.1, canary weight 10%');
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain('ghcr.io/example/podinfo:0.2.1');
    expect({ bomb: await blob(h, 'apps/podinfo/bomb.yaml'), big: await blob(h, 'apps/podinfo/big.yaml') }).toEqual(before);
    const changed = (await h.double.git(OWNER, 'config', 'diff', '--name-only', 'main~1', 'main')).trim().split('\n');
    expect(changed).toEqual(['apps/podinfo/canary-dep.yaml', 'apps/podinfo/virtual-service.yaml']);
    const body = (await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', 'main')).trim();
    expect(body).toContain(
      [
        'Skipped:',
        `- apps/podinfo/big.yaml: file is ${Buffer.byteLength(big)} bytes, over the limit of 4194304 bytes (MAX_FILE_SIZE); not read`,
        '- apps/podinfo/bomb.yaml:7: aliases expand to more than 1000 nodes (an alias bomb?); not resolved',
      ].join('\n'),
    );
    h.double.assertNoViolations();
  }, 120_000);
});
