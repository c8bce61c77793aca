/**
 * Preloaded into the scanner process by the realistic fleet bench
 * (`node --require build/bench/realisticFleetProbe.js build/src/cli.js fleet …`):
 * at exit it writes the process's peak resident set size, as the kernel
 * counted it, and the CPU time it used to the file named by REALISTIC_FLEET_PROBE. The CLI itself is
 * unchanged, so the bench measures exactly what an operator runs.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.REALISTIC_FLEET_PROBE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }),
    );
  });
}
