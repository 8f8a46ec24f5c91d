import { parseManifest, applyAndConfirm } from '../../../src/manifests/parse.ts';
import type { Change, TrafficEditor, TrafficSpec } from '../../../src/manifests/types.ts';
import { BotError } from '../../../src/errors.ts';

export interface Applied {
  text: string;
  changes: Change[];
  /** Plain data of each document after the change. */
  values: unknown[];
}

/** Runs `set` and the confirm step on `text`, as the rollout code would. */
export function applySet(editor: TrafficEditor, text: string, spec: TrafficSpec, canary: number, path = 'apps/podinfo/route.yaml'): Applied {
  const file = parseManifest(path, text);
  const { changes } = editor.set(file, spec, canary);
  const next = applyAndConfirm(file, changes);
  return { text: next, changes, values: parseManifest(path, next).docs.map((d) => d.value) };
}

export function readState(editor: TrafficEditor, text: string, spec: TrafficSpec, path = 'apps/podinfo/route.yaml') {
  const s = editor.read(parseManifest(path, text), spec);
  return { stable: s.stable, canary: s.canary, others: s.others };
}

/** The BotError thrown by `fn`, so tests can check code and message together. */
export function errorOf(fn: () => unknown): BotError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BotError) return err;
    throw err;
  }
  throw new Error('expected an error, none was thrown');
}

/** Dedents an inline YAML template literal (first line empty, common indent removed). */
export function y(strings: TemplateStringsArray, ...vals: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < vals.length ? String(vals[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n').replace(/[ ]+$/, '');
}
