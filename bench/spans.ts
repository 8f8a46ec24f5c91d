// Where the bot's time goes: the steps of planImages (src/jobs/images.ts) replayed one
// by one with the same src/ functions, each timed. Kept step-for-step with planImages;
// if that function changes shape, this breakdown must follow (the totals are printed
// next to the real measurement so a drift shows).
import { performance } from 'node:perf_hooks';
import type { Workspace } from '../src/git/workspace.ts';
import { workspaceFiles } from '../src/jobs/run.ts';
import { YAML_FILE } from '../src/manifests/files.ts';
import { applyAndConfirm, parseManifest } from '../src/manifests/parse.ts';
import { imageEditors } from '../src/manifests/registry.ts';
import { loadFluxPolicies, screenToken } from '../src/manifests/scan.ts';
import type { Change, ManifestFile } from '../src/manifests/types.ts';
import { sameRepository } from '../src/policy/image.ts';

export interface Spans {
  /** Milliseconds per step, in the order the steps run. */
  steps: Record<string, number>;
  /** What the screening step did (tokens, files), for the report. */
  screening: string;
}

export async function planSpans(ws: Workspace, image: string, tag: string): Promise<Spans> {
  const repo = workspaceFiles(ws);
  const steps: Spans['steps'] = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    steps[name] = (steps[name] ?? 0) + (now - mark);
    mark = now;
  };

  const { policies } = await loadFluxPolicies(repo);
  lap('load Flux policies (grep + parse)');
  const tokens = [screenToken(image)];
  for (const [id, p] of policies) if (sameRepository(p.repository, image)) tokens.push(id);
  const hits = (await repo.grep(tokens)).filter((rel) => YAML_FILE.test(rel)).sort();
  lap('git grep');
  const screening = `${tokens.length} git grep call(s) for ${tokens.map((t) => JSON.stringify(t)).join(', ')}: ${hits.length} files`;
  const texts: Array<[string, string]> = [];
  for (const rel of hits) texts.push([rel, await repo.read(rel)]);
  lap('read screened files');
  const files: ManifestFile[] = [];
  for (const [rel, text] of texts) {
    try {
      files.push(parseManifest(rel, text));
    } catch {
      // counted by the real run's skipped list
    }
  }
  lap('parse screened files');
  const editors = imageEditors(policies);
  const found = [];
  for (const file of files) {
    for (const editor of editors) {
      if (!editor.screen(file.text, image)) continue;
      try {
        for (const ref of editor.find(file, image)) found.push({ file, ref, editor });
      } catch {
        // as above
      }
    }
  }
  lap('find references');
  const byFile = new Map<ManifestFile, Change[]>();
  for (const { file, ref, editor } of found) {
    try {
      const c = editor.set(file, ref, { tag });
      if (c) byFile.set(file, [...(byFile.get(file) ?? []), c]);
    } catch {
      // as above
    }
  }
  lap('plan changes');
  const writes = new Map<string, string>();
  for (const [file, changes] of byFile) {
    try {
      writes.set(file.path, applyAndConfirm(file, changes));
    } catch {
      // as above
    }
  }
  lap('apply + confirm (re-parse)');
  await ws.writeFiles(writes);
  lap('write files');
  return { steps, screening };
}
