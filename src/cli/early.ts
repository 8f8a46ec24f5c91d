// A change's clean check, begun by the bin before it loads the CLI's code (bin/load.mjs):
// git compares every tracked file (80 ms at 10k files, 270-480 ms at 52k) while the bundle
// is read, compiled and run (~140 ms), instead of after it. A module with a bundle of its
// own that loads in a few milliseconds (scripts/bundle-cli.mjs). argv is read as main()
// reads it, and a run that will not commit begins nothing. What the check found is used
// only as a check begun in cli/checkout.ts would be (Workspace.checkCleanSoon). The
// checkout's first two questions (its config keys and HEAD) are begun with it.
import { beginEarlyCheckout, type EarlyCheckout } from '../git/early-status.ts';
import { asksVersion, checkoutDir, commitsChange, parseArgv, type Parsed } from './args.ts';

export type { EarlyCheckout } from '../git/early-status.ts';

/** The clean check of the checkout `argv` commits to, with the checkout's first questions
 *  (early-status.ts); undefined for any other run (another command, --dry-run, --help,
 *  --version, arguments main() refuses). */
export function beginChangeCheck(argv: readonly string[]): EarlyCheckout | undefined {
  if (asksVersion(argv)) return undefined;
  let p: Parsed;
  try {
    p = parseArgv(argv);
  } catch {
    return undefined;
  }
  if (p.values.help || !p.command || !commitsChange(p.command, p.values)) return undefined;
  return beginEarlyCheckout(checkoutDir(p.values));
}
