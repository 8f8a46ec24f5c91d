// Runs ensureLocalConfigRepo in a process of its own and prints its result as JSON, for
// the test of processes starting together: node seed-child.mjs DIR
// Runs the build in dist/ (the test suite's global setup rebuilds it when a source is
// newer): ~0.3 s to start against ~1.2 s for the sources through tsx.
import { ensureLocalConfigRepo } from '../../dist/local/seed.js';

process.stdout.write(JSON.stringify(await ensureLocalConfigRepo(process.argv[2])));
