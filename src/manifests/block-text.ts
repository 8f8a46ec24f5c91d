// Block-style YAML text for the lines the A/B route and mirror add: where an item or key
// starts and ends as whole lines (so what was inserted can be taken out byte for byte),
// how the surrounding lines are indented, and plain data rendered in that style.
import { EditError, type Location } from '../errors.ts';
import type { TextEdit } from './types.ts';
import { lineStart, renderScalar } from './text.ts';
import { afterNode, columnOf, spaces } from './istio-text.ts';
import { isMap, isPair, isScalar, isSeq, type YAMLMap } from './yaml.ts';

type Data = Record<string, unknown>;

/** How the weighted route is indented, so new lines look like the ones around them. */
export interface Layout {
  /** Column of the route's `-` and of its keys. */
  dashCol: number;
  keyCol: number;
  /** Indentation of a nested map's keys under their parent key. */
  map: number;
  /** Column of a block sequence's `-` relative to its parent key (0 or more). */
  seq: number;
  /** Column of a sequence item's keys relative to its `-`. */
  item: number;
}

function fail(code: string, message: string, where: Location): never {
  throw new EditError(code, message, where);
}

/** Offset of the first key of a block map. */
export function keyStart(map: YAMLMap): number {
  const key = map.items[0]?.key as { range?: [number, number, number] } | undefined;
  return key?.range?.[0] ?? map.range?.[0] ?? 0;
}

function eolBefore(text: string, offset: number): number {
  if (text[offset - 1] !== '\n') return 0;
  return text[offset - 2] === '\r' ? 2 : 1;
}

function eolAt(text: string, offset: number): number {
  if (text.startsWith('\r\n', offset)) return 2;
  return text[offset] === '\n' ? 1 : 0;
}

/** Offset of the `-` that starts a block sequence item whose map begins at `map`. */
export function dashOf(text: string, map: YAMLMap, where: Location): number {
  let p = keyStart(map) - 1;
  while (p >= 0 && (text[p] === ' ' || text[p] === '\t')) p--;
  if (text[p] !== '-' || text.slice(lineStart(text, p), p).trim() !== '') {
    fail('TRAFFIC_LAYOUT', 'the route does not start its line with `- key:`; move it to that layout by hand', where);
  }
  return p;
}

export function checkBlock(node: unknown, what: string, where: Location): void {
  if ((isMap(node) || isSeq(node)) && node.flow) {
    fail('TRAFFIC_FLOW_STYLE', `${what} is written in flow style ([...] or {...}); write it in block style before the bot edits it`, where);
  }
}

/** The span of whole lines holding sequence item `map`, from the start of its `-` line
 *  through the line break after its last content line. */
export function itemLines(text: string, map: YAMLMap, where: Location): TextEdit {
  checkBlock(map, 'the route', where);
  const start = lineStart(text, dashOf(text, map, where));
  const end = afterNode(text, map);
  return { start, end: end + eolAt(text, end), text: '' };
}

/** The span of the lines of sequence item `map` together with the line break before
 *  them: what `eol + lines` inserted at the end of the previous line added. */
export function itemSpan(text: string, map: YAMLMap, where: Location): TextEdit {
  checkBlock(map, 'the entry', where);
  const start = lineStart(text, dashOf(text, map, where));
  return { start: start - eolBefore(text, start), end: afterNode(text, map), text: '' };
}

/** The span of a block map's key and value lines with the line break before them. */
export function keySpan(text: string, map: YAMLMap, key: string, where: Location): TextEdit {
  checkBlock(map, 'the route', where);
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
  const k = pair?.key as { range?: [number, number, number] } | undefined;
  if (!pair || !k?.range) fail('TRAFFIC_LAYOUT', `no ${key} key to remove`, where);
  const start = lineStart(text, k.range[0]);
  if (text.slice(start, k.range[0]).trim() !== '') {
    fail('TRAFFIC_LAYOUT', `${key} shares its line with the start of the route; remove it by hand`, where);
  }
  const value = pair.value as unknown;
  const end = value && !(isScalar(value) && value.value === null && !value.source) ? afterNode(text, value) : afterNode(text, k);
  return { start: start - eolBefore(text, start), end, text: '' };
}

/** How far a nested block map's keys sit under their parent key, from the first one found. */
export function nestedIndent(text: string, node: unknown): number | undefined {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.shift();
    if (isMap(n) && !n.flow) {
      for (const p of n.items) {
        const v = p.value as unknown;
        if (isMap(v) && !v.flow && v.items.length && isScalar(p.key) && p.key.range) {
          const d = columnOf(text, keyStart(v)) - columnOf(text, p.key.range[0]);
          if (d > 0 && lineStart(text, keyStart(v)) !== lineStart(text, p.key.range[0])) return d;
        }
        stack.push(v);
      }
    } else if (isSeq(n) && !n.flow) {
      stack.push(...n.items);
    }
  }
  return undefined;
}

// YAML 1.1 readers (the Kubernetes API machinery among them) take these plain words as
// booleans or null, so they are quoted even though YAML 1.2 reads them as strings.
const YAML11 = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL)$/;

export function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return String(v);
  const s = String(v);
  if (YAML11.test(s) || s.includes(':') || /^[-.]/.test(s)) return JSON.stringify(s);
  return renderScalar(s, undefined, true);
}

/** Block-style lines for `key: value` with the key at `col`. */
export function renderPair(key: string, value: unknown, col: number, s: Layout): string[] {
  const head = `${spaces(col)}${scalar(key)}:`;
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
    return [head, ...Object.entries(value as Data).flatMap(([k, v]) => renderPair(k, v, col + s.map, s))];
  }
  if (Array.isArray(value) && value.length) return [head, ...renderItems(value, col + s.seq, s)];
  return [`${head} ${Array.isArray(value) ? '[]' : value && typeof value === 'object' ? '{}' : scalar(value)}`];
}

/** Block-style sequence items with their `-` at `dash`. */
export function renderItems(items: unknown[], dash: number, s: Layout): string[] {
  return items.flatMap((item) => {
    if (item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length) {
      const lines = Object.entries(item as Data).flatMap(([k, v]) => renderPair(k, v, dash + s.item, s));
      lines[0] = `${spaces(dash)}-${spaces(s.item - 1)}${lines[0].slice(dash + s.item)}`;
      return lines;
    }
    if (Array.isArray(item) && item.length) return [`${spaces(dash)}-`, ...renderItems(item, dash + s.item, s)];
    return [`${spaces(dash)}- ${Array.isArray(item) ? '[]' : item && typeof item === 'object' ? '{}' : scalar(item)}`];
  });
}
