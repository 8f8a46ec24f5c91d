// `npm run test:corpus -- [DIR]` (default ../shared/corpus): every YAML file of a corpus
// of real-world manifests through the parser and every editor, and `validate` over each
// upstream repo of it. Per image reference: set
// a new tag/digest, confirm nothing else changed, set it back, same bytes. Per weighted
// two-destination route: the same with the canary weight. Reads DIR only; never copies
// a corpus file anywhere. Exits 1 when any file fails; the last line is
// `N passed, M failed` (files).
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BotError } from '../../src/errors.ts';
import { directoryFiles, YAML_FILE } from '../../src/manifests/files.ts';
import { validateRepo } from '../../src/analysis/validate.ts';
import { collectFluxPolicies } from '../../src/manifests/flux-policies.ts';
import { parseManifest } from '../../src/manifests/parse.ts';
import { imageEditors } from '../../src/manifests/registry.ts';
import type { ImageRef, ManifestFile } from '../../src/manifests/types.ts';
import { parseStream } from '../../src/manifests/yaml.ts';
import { quickConfirmDiffers, quickDiffers, quickFindsDiffer } from '../manifests/quick-yaml-compare.ts';
import { checkImageRef, describeRef } from './image-check.ts';
import { checkRoute, routeCases } from './traffic-check.ts';
import { outcomeOf, type Outcome } from './util.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface FileReport {
  path: string;
  failures: string[];
  notes: string[];
}

async function yamlFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && e.name !== '.git' && e.name !== 'node_modules') out.push(...(await yamlFiles(dir, r)));
    else if (e.isFile() && YAML_FILE.test(e.name)) out.push(r);
  }
  return out;
}

/** Corpus files are grouped by their first directory (one upstream repo each): Flux
 *  policies resolve within a repo, as they would for the bot. */
function groupOf(rel: string): string {
  const i = rel.indexOf('/');
  return i === -1 ? '.' : rel.slice(0, i);
}

function record(report: FileReport, what: string, o: Outcome): void {
  if (o.status === 'fail') report.failures.push(`${what}: ${o.reason}`);
  else if (o.status === 'refused') report.notes.push(`refused ${what}: ${o.code} ${o.reason}`);
  else if (o.note) report.notes.push(`${what}: ${o.note}`);
}

async function main(): Promise<void> {
  const arg = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const dir = arg ? path.resolve(arg) : path.resolve(ROOT, '../shared/corpus');
  if (!existsSync(dir)) {
    console.error(`corpus directory ${dir} does not exist`);
    process.exit(2);
  }
  const rels = await yamlFiles(dir);
  const parsed: ManifestFile[] = [];
  const reports: FileReport[] = [];
  const unparseable: string[] = [];
  for (const rel of rels) {
    const text = await fs.readFile(path.join(dir, rel), 'utf8');
    try {
      parsed.push(parseManifest(rel, text));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      // Refusing what the yaml package itself rejects is right; refusing what it reads is not.
      if (err instanceof BotError && parseStream(text).error) unparseable.push(`${rel}: ${reason}`);
      else reports.push({ path: rel, failures: [`the yaml package parses this file but parseManifest throws: ${reason}`], notes: [] });
    }
  }

  const byGroup = new Map<string, ManifestFile[]>();
  for (const f of parsed) byGroup.set(groupOf(f.path), [...(byGroup.get(groupOf(f.path)) ?? []), f]);
  let refs = 0;
  const byEditor = new Map<string, number>();
  let routes = 0;
  for (const [, files] of byGroup) {
    const editors = imageEditors(collectFluxPolicies(files));
    for (const file of files) {
      const report: FileReport = { path: file.path, failures: [], notes: [] };
      reports.push(report);
      // the quick reader (image finds, Flux policies) must read the file as the parse does
      const quick = quickDiffers(file.text) ?? quickFindsDiffer(file.path, file.text, editors) ?? quickConfirmDiffers(file.text);
      if (quick) report.failures.push(`quick reader: ${quick}`);
      for (const editor of editors) {
        if (!editor.screen(file.text)) continue;
        let found: ImageRef[] = [];
        const listed = outcomeOf(() => {
          found = editor.find(file);
          return undefined;
        });
        if (listed.status !== 'pass') {
          record(report, `${editor.name} find`, listed);
          continue;
        }
        for (const ref of found) {
          refs++;
          byEditor.set(editor.name, (byEditor.get(editor.name) ?? 0) + 1);
          record(report, describeRef(ref), outcomeOf(() => checkImageRef(file, ref, editor)));
        }
      }
      const { cases, unusable } = routeCases(file);
      for (const u of unusable) report.notes.push(`not tested: ${u}`);
      for (const c of cases) {
        routes++;
        record(report, `${c.editor.name} ${c.label}`, outcomeOf(() => checkRoute(file, c)));
      }
    }
  }

  // `gitops-canary validate` over each upstream repo of the corpus: it must never crash; what
  // it finds is counted (real repos hold Services and routes managed elsewhere, so warnings
  // are expected).
  const findings = new Map<string, number>();
  for (const group of [...new Set(rels.map(groupOf))].filter((g) => g !== '.').sort()) {
    const report: FileReport = { path: `${group}/ (validate)`, failures: [], notes: [] };
    try {
      const root = path.join(dir, group);
      const v = await validateRepo(root, directoryFiles(root));
      for (const f of v.findings) findings.set(`${f.severity} ${f.code}`, (findings.get(`${f.severity} ${f.code}`) ?? 0) + 1);
      report.notes.push(`${v.findings.length} findings in ${v.files.length} files`);
    } catch (err) {
      report.failures.push(`validate crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    reports.push(report);
  }

  reports.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const failed = reports.filter((r) => r.failures.length > 0);
  const verbose = process.argv.includes('--verbose');
  for (const r of reports) {
    if (r.failures.length === 0 && (!verbose || r.notes.length === 0)) continue;
    console.log(`${r.failures.length > 0 ? 'FAIL' : 'ok  '} ${r.path}`);
    for (const f of r.failures) console.log(`     x ${f}`);
    if (verbose) for (const n of r.notes) console.log(`     - ${n}`);
  }
  const notes = reports.reduce((n, r) => n + r.notes.length, 0);
  if (unparseable.length > 0) {
    console.log(`skipped (unparseable): ${unparseable.length}`);
    for (const u of unparseable) console.log(`     ${u}`);
  }
  console.log(
    `corpus ${dir}: ${rels.length} files, ${refs} image refs, ${routes} traffic routes; ` +
      `${reports.length - failed.length} passed, ${failed.length} failed, ${unparseable.length} skipped (unparseable); ` +
      `${notes} notes (refusals, text-reverted refs${verbose ? '' : '; --verbose lists them'})`,
  );
  console.log(`image refs by editor: ${[...byEditor].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  console.log(`validate findings by kind: ${[...findings].sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  console.log(`${reports.length - failed.length} passed, ${failed.length} failed`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
