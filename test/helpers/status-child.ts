// `status` of a config repo in a process of its own, printed as JSON with what the tree
// store and the image index did, for the tests of the on-disk store:
//   node --import tsx status-child.ts DIR [--plain]
// --plain reads without the store (the answers to compare with).
import { checkConfigAgainstRepo, formatRepoIssue, loadConfig } from '../../src/config/index.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { botCommitsIn, workspaceFiles } from '../../src/jobs/run.ts';
import { repoStatus, statusText } from '../../src/jobs/status.ts';
import { imageIndexCounters } from '../../src/manifests/image-index.ts';
import { persistentRepo, treeStoreCounters } from '../../src/manifests/tree-store.ts';

const [dir, flag] = process.argv.slice(2);
const ws = await Workspace.local(dir);
const loaded = (await loadConfig(dir))!;
const log = await ws.log({ max: 1000 });
const files = flag === '--plain' ? workspaceFiles(ws) : persistentRepo(workspaceFiles(ws));
const now = new Date('2026-01-01T00:00:00Z');
const report = await repoStatus(files, loaded.config, botCommitsIn(log), { log, now });
const issues = (await checkConfigAgainstRepo(files, loaded.config, { lineOf: loaded.lineOf })).map(formatRepoIssue);
process.stdout.write(JSON.stringify({ report, text: report.map(statusText).join('\n\n'), issues, index: imageIndexCounters, store: treeStoreCounters }));
