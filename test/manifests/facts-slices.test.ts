// Keeping the facts of a large file and confirming a splice into it let other work run
// (webhooks, /healthz answers, ticks), as its parse does: found on main when a release
// into a 4 MB, 7,800-document manifest held the handlers' thread for 400 ms at a time
// (another webhook waited 1.2 s, against a target of 100 ms; bench/responsiveness.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { forgetKeptFacts, keepFactsOf, keptFacts, spliceConfirmed, type SpanWrite } from '../../src/manifests/indexed-edits.ts';
import { parseManifestToEdit } from '../../src/manifests/parse.ts';
import { createWorkloadImageEditor } from '../../src/manifests/workload-images.ts';

// flow collections keep the text out of the quick reader's subset: the lexer confirms it
const deployment = (i: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${i}
  labels: {app: svc-${i}, team: platform}
spec:
  template:
    spec:
      containers:
        - name: main
          image: ghcr.io/example/svc-${i}:1.0.${i}
          ports: [{containerPort: 8080}]
`;

const N = 4000;
const text = Array.from({ length: N }, (_, i) => deployment(i)).join('---\n');

/** Runs `work`, saying whether a timer set just before it fired before it settled. */
async function timerRanDuring<T>(work: () => Promise<T>): Promise<{ value: T; fired: boolean }> {
  let fired = false;
  const t = setTimeout(() => (fired = true), 0);
  const value = await work();
  clearTimeout(t);
  return { value, fired };
}

afterEach(() => forgetKeptFacts());

describe('the facts of a large file', () => {
  it('are kept, and a splice into it confirmed by the lexer, in slices that let a timer run', async () => {
    const editors = [createWorkloadImageEditor()];
    const file = await parseManifestToEdit('apps/bundle.yaml', text);

    const kept = await timerRanDuring(() => keepFactsOf('/repo', 'key', file, editors));
    expect(kept.fired).toBe(true);
    const facts = kept.value!;
    expect(facts.byEditor[0]).toHaveLength(N);
    expect(facts.spans.size).toBe(N);
    expect(keptFacts('key')).toBe(facts);

    // every 50th image moves, as the bench's canary does
    const writes: SpanWrite[] = facts.byEditor[0]!.filter((_, i) => i % 50 === 0).map((ref) => {
      const value = `${ref.repository}:${ref.tag!.replace(/^1\.0\./, '2.0.')}`;
      return { ref, value, text: value };
    });
    const spliced = await timerRanDuring(() => spliceConfirmed('/repo', 'apps/bundle.yaml', text, facts, writes, editors, new Map()));
    expect(spliced.fired).toBe(true);
    const expected = text.replace(/(image: ghcr\.io\/example\/svc-(\d+)):1\.0\.\2\n/g, (all, head: string, i: string) => (Number(i) % 50 === 0 ? `${head}:2.0.${i}\n` : all));
    expect(spliced.value).toBe(expected);
  });
});
