// Preloaded (`node --import`) into a CLI child process: on exit, writes the process's peak
// resident set size in kilobytes to $GCB_MAX_RSS_FILE, so tests can bound memory use
// without adding to the output they check.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.GCB_MAX_RSS_FILE) writeFileSync(process.env.GCB_MAX_RSS_FILE, String(process.resourceUsage().maxRSS));
});
