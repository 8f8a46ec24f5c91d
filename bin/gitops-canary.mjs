#!/usr/bin/env node
// The CLI as installed (`npm link`, `npm install -g .`, the image's PATH): runs the compiled
// build in dist/ (see load.mjs) and turns main()'s return value into the exit code.
import module from 'node:module';
import { importModule, keepCompiledCode } from './load.mjs';

// Node 22.1+ keeps V8's compiled code of the modules on disk (NODE_COMPILE_CACHE, or the
// temp directory), so a later run skips most of compiling them: about 10 % of a `status`
// on Node 26. Where it cannot write, it does nothing.
module.enableCompileCache?.();

const argv = process.argv.slice(2);
// `--version` alone answers without loading the commands, which are most of a start's cost
if (argv.length === 1 && argv[0] === '--version') {
  const { versionLine } = await importModule('version');
  console.log(versionLine());
} else {
  // a change's clean check begins before the CLI's code is loaded, so that git compares the
  // files while it loads (src/cli/early.ts)
  const { beginChangeCheck } = await importModule('cli/early');
  const early = beginChangeCheck(argv);
  const { main } = await importModule('cli');
  process.exitCode = await main(argv, undefined, { early });
  keepCompiledCode();
  // Done: leave as soon as what was printed is written. simple-git keeps a 50 ms timer
  // running after each git process it waited for, which would hold the process open.
  for (const stream of [process.stdout, process.stderr]) await new Promise((resolve) => stream.write('', resolve));
  process.exit();
}
