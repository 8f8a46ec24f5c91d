// The package's version, from package.json: one directory above src/ and dist/ alike, so
// the sources under tsx and the compiled build read the same file. Imports nothing else,
// so `gitops-canary --version` answers without loading the commands.
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function packageVersion(): string {
  // asked for by every file of the kept stores a run reads or writes
  version ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

/** What `gitops-canary --version` prints. */
export function versionLine(): string {
  return `gitops-canary ${packageVersion()}`;
}
