// A what-if variant of planImages, to size the optimizations proposed for src/ before
// anyone writes them there. Same editors, same parse and confirm; it differs only in the
// plumbing around them:
//   1. Flux policies are loaded once and reused while HEAD does not change (the app
//      resets its warm clone per delivery, so HEAD identifies the tree);
//   2. every screening token goes into one `git grep -e a -e b` process;
//   3. files are read and written with bounded concurrency, resolving the repo root once;
//   4. one file at a time goes through parse -> find -> set -> confirm (see below).
// It is not used by the bot; the benchmark prints it next to the real thing.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BotError } from '../src/errors.ts';
import type { FluxPolicy } from '../src/manifests/flux-policies.ts';
import { directoryFiles, YAML_FILE } from '../src/manifests/files.ts';
import { applyAndConfirm, parseManifest } from '../src/manifests/parse.ts';
import { imageEditors } from '../src/manifests/registry.ts';
import { loadFluxPolicies, screenToken } from '../src/manifests/scan.ts';
import type { Change } from '../src/manifests/types.ts';
import { sameRepository } from '../src/policy/image.ts';
import { pooled } from '../src/pool.ts';

const run = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    return (await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 })).stdout;
  } catch (err) {
    // git grep exits 1 when nothing matches
    if ((err as { code?: number }).code === 1) return '';
    throw err;
  }
}

const policyCache = new Map<string, Map<string, FluxPolicy>>();

export async function fastPlan(root: string, image: string, tag: string): Promise<{ edits: number; refs: number; writes: number }> {
  const head = (await git(root, ['rev-parse', 'HEAD'])).trim();
  let policies = policyCache.get(head);
  if (!policies) {
    policies = (await loadFluxPolicies(directoryFiles(root))).policies;
    policyCache.set(head, policies);
  }
  const tokens = [screenToken(image)];
  for (const [id, p] of policies) if (sameRepository(p.repository, image)) tokens.push(id);
  const hits = (await git(root, ['grep', '-l', '-I', '-F', '-z', ...tokens.flatMap((t) => ['-e', t]), '--']))
    .split('\0')
    .filter((rel) => rel && YAML_FILE.test(rel))
    .sort();
  const texts = await pooled(hits, 32, (rel) => readFile(path.join(root, rel), 'utf8'));
  const editors = imageEditors(policies);
  // 4. each file is parsed, edited and confirmed before the next is parsed, so only the
  //    new texts stay alive (peak RSS no longer grows with the number of files).
  const writes: Array<[string, string]> = [];
  let refs = 0;
  let edits = 0;
  hits.forEach((rel, i) => {
    try {
      const file = parseManifest(rel, texts[i]);
      const changes: Change[] = [];
      for (const editor of editors) {
        if (!editor.screen(file.text, image)) continue;
        for (const ref of editor.find(file, image)) {
          refs++;
          try {
            const c = editor.set(file, ref, { tag });
            if (c) changes.push(c);
          } catch (err) {
            // one reference that cannot move does not hold back the rest of the file
            if (!(err instanceof BotError)) throw err;
          }
        }
      }
      if (changes.length === 0) return;
      writes.push([rel, applyAndConfirm(file, changes)]);
      edits += changes.length;
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
    }
  });
  await pooled(writes, 32, ([rel, text]) => writeFile(path.join(root, rel), text, 'utf8'));
  return { edits, refs, writes: writes.length };
}
