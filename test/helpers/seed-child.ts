// Runs ensureLocalConfigRepo in a process of its own and prints its result as JSON, for
// the test of processes starting together: node --import tsx seed-child.ts DIR
import { ensureLocalConfigRepo } from '../../src/local/seed.ts';

process.stdout.write(JSON.stringify(await ensureLocalConfigRepo(process.argv[2])));
