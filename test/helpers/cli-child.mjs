// `gitops-canary <args>` in a process of its own (a cold CLI run: nothing kept in memory
// from an earlier run), printed as JSON with what the on-disk tree store did:
//   node cli-child.mjs ARGS...
// Runs the build in dist/ (the test suite's global setup rebuilds it when a source is
// newer): ~0.3 s to start against ~1.2 s for the sources through tsx.
import { main } from '../../dist/cli.js';
import { treeStoreCounters } from '../../dist/manifests/tree-store.js';

const out = [];
const err = [];
const code = await main(process.argv.slice(2), { log: (s) => out.push(s), err: (s) => err.push(s) });
process.stdout.write(JSON.stringify({ code, out: out.join('\n'), err: err.join('\n'), store: treeStoreCounters }));
