// Loaded into the snapstream process with NODE_OPTIONS=--import=<this file>: on exit it writes the
// process's own getrusage (CPU and peak RSS of the agent alone, without zfs send/recv) to the file
// named by NATIVE_BENCH_RUSAGE_OUT. The product code knows nothing about it.
import { writeFileSync } from 'node:fs';

const out = process.env.NATIVE_BENCH_RUSAGE_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ userS: u.userCPUTime / 1e6, systemS: u.systemCPUTime / 1e6, maxRssKiB: u.maxRSS }));
  });
}
