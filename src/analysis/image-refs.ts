// The image references of a workload's containers must be ones the kubelet can pull:
// `[registry[:port]/]path[:tag][@digest]` by the grammar the editors and the config use
// (src/policy/image.ts). A release or set-image that writes anything else would leave
// the new pods in InvalidImageName.
import { BotError } from '../errors.ts';
import { parseImageRef } from '../policy/image.ts';
import { list, rec, str } from './data.ts';
import { findingAt } from './finding.ts';
import { substituted } from './schemas.ts';
import type { Analyzer, Finding, RepoObject } from './types.ts';
import { WORKLOAD_KINDS } from './workloads.ts';

export const IMAGE_REF_CODE = 'IMAGE_REF_INVALID';

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

function podSpecPath(w: RepoObject): string[] {
  if (w.ref.kind === 'Pod') return ['spec'];
  if (w.ref.kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return ['spec', 'template', 'spec'];
}

function at(value: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | undefined {
  let v: Record<string, unknown> | undefined = value;
  for (const k of path) v = rec(v?.[k]);
  return v;
}

export const imageReferences: Analyzer = {
  name: 'image-references',
  kinds: WORKLOAD_KINDS,
  async analyze(w) {
    const base = podSpecPath(w);
    const pod = at(w.value, base);
    const findings: Finding[] = [];
    for (const key of CONTAINER_LISTS) {
      list(pod?.[key]).forEach((c, i) => {
        // a missing or non-string image is the schema's finding; a `${VAR}` is filled in
        // later (Flux postBuild, envsubst) and only its final form could be judged
        const image = str(rec(c)?.image);
        if (image === undefined || substituted(image)) return;
        try {
          parseImageRef(image);
        } catch (err) {
          if (!(err instanceof BotError)) throw err;
          const path = [...base, key, i, 'image'];
          findings.push(findingAt(w, path, path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '['), 'error', IMAGE_REF_CODE, err.detail));
        }
      });
    }
    return findings;
  },
};
