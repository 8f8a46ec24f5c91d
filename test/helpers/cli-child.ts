// `gitops-canary <args>` in a process of its own (a cold CLI run: nothing kept in memory
// from an earlier run), printed as JSON with what the on-disk tree store did:
//   node --import tsx cli-child.ts ARGS...
import { main } from '../../src/cli.ts';
import { treeStoreCounters } from '../../src/manifests/tree-store.ts';

const out: string[] = [];
const err: string[] = [];
const code = await main(process.argv.slice(2), { log: (s) => out.push(s), err: (s) => err.push(s) });
process.stdout.write(JSON.stringify({ code, out: out.join('\n'), err: err.join('\n'), store: treeStoreCounters }));
