// The package's version, from package.json: one directory above src/ and dist/ alike, so
// the sources under tsx and the compiled build read the same file. Imports nothing else,
// so `gitops-canary --version` answers without loading the commands.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** What `gitops-canary --version` prints. */
export function versionLine(): string {
  return `gitops-canary ${packageVersion()}`;
}
