// The two questions a CLI run asks git about its checkout before anything else: the config
// keys it needs (config-snapshot.ts) and HEAD, the top and the git directory
// (Workspace.local). The bin asks them of a run that commits before it loads the CLI's code
// (early-status.ts), and the modules ask them again only when that was not done or failed:
// both must ask the same, so they are written once here, in a module that imports nothing.

/** The keys of the snapshot, as `git config --get-regexp` matches the names it lists
 *  (lowercased): who commits, the branch's upstream, and the hooks directory and signing
 *  that decide whether a commit may skip `git commit` (plain-commit.ts). */
export const CONFIG_KEYS = '^(author|user)\\.(name|email)$|^branch\\..+\\.(remote|merge)$|^core\\.hookspath$|^commit\\.gpgsign$';

/** Every key of the snapshot, one `key\nvalue\0` each; exit 1 when none is set. */
export const CONFIG_ARGS: readonly string[] = ['config', '-z', '--get-regexp', CONFIG_KEYS];
/** The exit codes that answer CONFIG_ARGS. */
export const CONFIG_OK: readonly number[] = [0, 1];

/** HEAD's commit and tree, the top, the git directory and the branch, one a line; exit
 *  128 when HEAD has no commit yet. */
export const OPEN_ARGS: readonly string[] = ['rev-parse', 'HEAD^{commit}', 'HEAD^{tree}', '--show-toplevel', '--absolute-git-dir', '--symbolic-full-name', 'HEAD'];
/** The exit codes that answer OPEN_ARGS (128: asked apart then, see Workspace.local). */
export const OPEN_OK: readonly number[] = [0, 128];
