// The CLI's commands and options as data: the parser checks arguments against it, `help`
// prints it, and the README's command list follows it. Nothing here loads a command's code.

export interface OptionSpec {
  /** The value's name in help (`--repo DIR`); a flag has none. */
  value?: string;
  multiple?: boolean;
  short?: string;
  help: string;
}

export const OPTIONS = {
  repo: { value: 'DIR', help: 'the config repo checkout (default: the current directory)' },
  'dry-run': { help: 'print the plan, change nothing' },
  json: { help: 'print the plan or result as JSON' },
  path: { value: 'GLOB', multiple: true, help: 'only files matching the glob (repeatable)' },
  source: { value: 'OWNER/REPO', help: 'the repository the release comes from, checked against the app\'s source' },
  format: { value: 'F', help: 'text (default) or github (workflow-command annotations)' },
  watch: { help: 'print again every --interval until interrupted (Ctrl-C)' },
  interval: { value: 'DURATION', help: 'time between prints with --watch: 5s (default), 500ms, 1m; a bare number is seconds' },
  count: { value: 'N', help: 'with --watch: stop after N prints (for scripts and tests)' },
  'lock-timeout': { value: 'SECONDS', help: 'how long to wait for another gitops-canary run on the same checkout (default 60, or GITOPS_CANARY_LOCK_TIMEOUT)' },
  help: { short: 'h', help: 'this command\'s usage, options and an example' },
  version: { help: 'print the version' },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionName[] = ['repo', 'lock-timeout', 'help', 'version'];

export interface CommandSpec {
  /** Positional arguments as help prints them; `[x]` is optional, `…` takes the rest. */
  args: string;
  /** A shorter form of `args` for the command list. */
  brief?: string;
  min: number;
  max: number;
  /** One line for the command list. */
  summary: string;
  /** What `help <command>` says about it. */
  about: string;
  options: OptionName[];
  examples: string[];
  /** Whether it commits (and so needs to know who is committing). */
  changes: boolean;
}

const CHANGE: OptionName[] = ['dry-run', 'json'];

export const COMMANDS: Record<string, CommandSpec> = {
  'set-image': {
    args: '<image>:<tag>[@sha256:…]', brief: '<image>:<tag>', min: 1, max: 1, changes: true,
    summary: 'rewrite every reference to the image',
    about: 'Rewrites every reference to the image, in every file or only those matching --path. A digest given is written beside the tag; without one, references pinned by digest get the tag\'s digest from the registry (or stay, with the reason).',
    options: ['path', ...CHANGE],
    examples: ['gitops-canary set-image ghcr.io/example/podinfo:0.2.1', 'gitops-canary set-image ghcr.io/example/podinfo:0.2.1 --path \'apps/podinfo/*\' --dry-run'],
  },
  release: {
    args: '<image>:<tag>[@sha256:…]', brief: '<image>:<tag>', min: 1, max: 1, changes: true,
    summary: 'run the event path: the config decides app and track',
    about: 'Runs what a release event runs: the config picks the app and the track by tag filters; never a downgrade. Without a config file, each reference\'s Flux policy decides.',
    options: ['source', ...CHANGE],
    examples: ['gitops-canary release ghcr.io/example/podinfo:0.2.1 --source example/podinfo'],
  },
  'set-weight': {
    args: '<app> <canary-percent>', brief: '<app> <percent>', min: 2, max: 2, changes: true,
    summary: 'set the canary traffic weight (0-100)',
    about: 'Sets the canary weight of the app\'s route; stable gets the rest. An A/B route or mirror the route has stays as it is. Like /canary weight.',
    options: CHANGE,
    examples: ['gitops-canary set-weight podinfo 10'],
  },
  promote: {
    args: '[app]', min: 0, max: 1, changes: true,
    summary: 'next rollout step now (skips the bake once); at the end, promote',
    about: 'Like /canary promote: takes the rollout to its next step now (the rest of the bake time is skipped once); at the last step, the canary\'s tag becomes stable and the weights go back to stable 100%. The app may be left out when the config has only one.',
    options: CHANGE,
    examples: ['gitops-canary promote podinfo'],
  },
  pause: {
    args: '<app>', min: 1, max: 1, changes: true,
    summary: 'stop scheduled rollout steps',
    about: 'Like /canary pause: records a pause (an empty commit with trailers) that the scheduler reads; no step is taken until resume.',
    options: ['json'],
    examples: ['gitops-canary pause podinfo'],
  },
  resume: {
    args: '<app>', min: 1, max: 1, changes: true,
    summary: 'restart scheduled rollout steps',
    about: 'Like /canary resume: records that scheduled steps may go on.',
    options: ['json'],
    examples: ['gitops-canary resume podinfo'],
  },
  abort: {
    args: '<app>', min: 1, max: 1, changes: true,
    summary: 'canary weight to 0, removing A/B routes and mirrors',
    about: 'Like /canary abort: sets the canary weight to 0 and removes the A/B route and mirror a step added. The canary\'s tag stays; roll back to undo it.',
    options: CHANGE,
    examples: ['gitops-canary abort podinfo'],
  },
  ab: {
    args: '<app> header|query|cookie <name> ~|=|^= <value> | <app> off', brief: '<app> <match> | <app> off', min: 2, max: Infinity, changes: true,
    summary: 'send matching requests to the canary (or "off")',
    about: 'Adds the bot\'s A/B route: requests matching the condition (~ regex, = exact, ^= prefix) go to the canary; the weights stay. "off" removes it. Quote ~, which the shell would expand.',
    options: CHANGE,
    examples: ['gitops-canary ab podinfo header user-agent \'~\' \'.*Firefox.*\'', 'gitops-canary ab podinfo off'],
  },
  rollback: {
    args: '<app>', min: 1, max: 1, changes: true,
    summary: 'revert the bot\'s last change for the app',
    about: 'Reverts (git revert) the bot\'s last change for the app that is still in effect; a reverted tag is held until a newer one arrives.',
    options: CHANGE,
    examples: ['gitops-canary rollback podinfo --dry-run'],
  },
  status: {
    args: '', min: 0, max: 0, changes: false,
    summary: 'every app: tags, weights, rollout step, next step, gates',
    about: 'Shows each app\'s tags per track, weights, rollout step, bake time left, gates, held tags and the last change. With --watch it prints again every --interval until interrupted, fetching and fast-forwarding a clean checkout first; with --json --watch, one JSON document a line.',
    options: ['json', 'watch', 'interval', 'count'],
    examples: ['gitops-canary status', 'gitops-canary status --watch --interval 10s'],
  },
  images: {
    args: '', min: 0, max: 0, changes: false,
    summary: 'every image reference, by repository: tag, file, object, field, policy',
    about: 'Lists every image reference the editors find (container images, kustomize images, Flux markers, Helm values), grouped by repository, with its tag or digest, where it is, and the Flux policy and tag filter that steer it: what set-image and a release would change. Files that cannot be read or parsed are named on stderr.',
    options: ['json'],
    examples: ['gitops-canary images', 'gitops-canary images --json'],
  },
  validate: {
    args: '', min: 0, max: 0, changes: false,
    summary: 'check the config and the routes it names; exit 1 on errors',
    about: 'Checks the config and analyzes the routes it names (reads files only: no git, no lock). Exit 0 with only warnings, 1 on errors.',
    options: ['json', 'format'],
    examples: ['gitops-canary validate --format github'],
  },
  help: {
    args: '[command]', min: 0, max: 1, changes: false,
    summary: 'the command list, or one command\'s usage, options and an example',
    about: 'Without a command, lists the commands; with one, prints its usage, options and an example (the same as <command> --help).',
    options: [],
    examples: ['gitops-canary help set-weight'],
  },
};

/** ChatOps verbs that are spelt differently here. */
export const ALIASES: Record<string, string> = { weight: 'set-weight' };

export function optionsOf(command: string | undefined): OptionName[] {
  const own = command && COMMANDS[command] ? COMMANDS[command].options : [];
  return [...own, ...GLOBAL_OPTIONS];
}
