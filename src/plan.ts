// A plan is plain data: what will change, where, from what to what. It is printed by
// --dry-run, rendered into commit messages, PR bodies and Slack messages, and applied
// by the editors in src/manifests/.

import type { Finding } from './analysis/types.ts';

export type Value = string | number | null;

/** The Kubernetes object an edit touches, as named in the manifest. */
export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One changed value. `field` is a readable path such as
 *  `spec.template.spec.containers[podinfo].image` or `spec.http[primary].route[1].weight`. */
export interface Edit {
  file: string;
  object: ObjectRef;
  field: string;
  old: Value;
  new: Value;
}

/** Something the bot looked at and deliberately did not change, with the reason. */
export interface Skipped {
  file: string;
  object?: ObjectRef;
  field?: string;
  code: string;
  reason: string;
}

/** Key/value lines appended to the bot's commit messages (git trailers). Keys are
 *  written with the `Gitops-Canary-` prefix by src/git/trailers.ts. */
export type Trailers = Record<string, string>;

export type Action =
  | 'set-image'
  | 'release'
  | 'set-weight'
  | 'promote'
  | 'rollback'
  | 'pause'
  | 'resume'
  | 'abort'
  /** An A/B match set or removed by hand (`/canary ab`, `gitops-canary ab`). */
  | 'ab';

export interface Plan {
  action: Action;
  /** One line, used as the commit subject and PR title. */
  title: string;
  app?: string;
  track?: string;
  edits: Edit[];
  skipped: Skipped[];
  trailers: Trailers;
  /** What analysis of the changed repo found that did not stop the change. */
  warnings?: Finding[];
}

export interface Result {
  plan: Plan;
  /** 'unchanged' when nothing needed changing. */
  status: 'committed' | 'pull-request' | 'unchanged' | 'dry-run';
  commit?: string;
  branch?: string;
  url?: string;
  message: string;
}

export function objectLabel(o: ObjectRef): string {
  return `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}
