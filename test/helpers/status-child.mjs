// `status` of a config repo in a process of its own, printed as JSON with what the tree
// store and the image index did, for the tests of the on-disk store:
//   node status-child.mjs DIR [--plain]
// --plain reads without the store (the answers to compare with).
// Runs the build in dist/ (the test suite's global setup rebuilds it when a source is
// newer): ~0.3 s to start against ~1.2 s for the sources through tsx.
import { checkConfigAgainstRepo, formatRepoIssue, loadConfig } from '../../dist/config/index.js';
import { Workspace } from '../../dist/git/workspace.js';
import { botCommitsIn, workspaceFiles } from '../../dist/jobs/run.js';
import { repoStatus, statusText } from '../../dist/jobs/status.js';
import { imageIndexCounters } from '../../dist/manifests/image-index.js';
import { persistentRepo, treeStoreCounters } from '../../dist/manifests/tree-store.js';

const [dir, flag] = process.argv.slice(2);
const ws = await Workspace.local(dir);
const loaded = await loadConfig(dir);
const log = await ws.log({ max: 1000 });
const files = flag === '--plain' ? workspaceFiles(ws) : persistentRepo(workspaceFiles(ws));
const now = new Date('2026-01-01T00:00:00Z');
const report = await repoStatus(files, loaded.config, botCommitsIn(log), { log, now });
const issues = (await checkConfigAgainstRepo(files, loaded.config, { lineOf: loaded.lineOf })).map(formatRepoIssue);
process.stdout.write(JSON.stringify({ report, text: report.map(statusText).join('\n\n'), issues, index: imageIndexCounters, store: treeStoreCounters }));
