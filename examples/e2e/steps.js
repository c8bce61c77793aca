// Runs the e2e steps (stepList.js) in order, each reported PASS or FAIL on one line; a failed step does not
// stop the run (the next one says what it finds). Then a timing table from the boots bootTimer.js recorded.
'use strict';

const { stepList } = require('./stepList');
const { StepFailed, createWorld } = require('./world');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timingTable(world) {
  const boots = world.boots();
  const stays = boots.filter((boot) => boot.switched === false).map((boot) => boot.ms);
  const switches = boots.filter((boot) => boot.switched === true).map((boot) => boot.ms);
  const row = (name, values) =>
    values.length === 0
      ? `  ${name.padEnd(44)} -`
      : `  ${name.padEnd(44)} n=${values.length}  min ${Math.min(...values).toFixed(0)} ms  median ${median(values).toFixed(0)} ms  max ${Math.max(...values).toFixed(0)} ms`;
  return [
    'timing',
    row('boot added, no switch (runAtBoot)', stays),
    row('boot step that switched (runAtBoot)', switches),
    row('switch → new code listening (/flux/version)', world.timings.switchToListening),
  ].join('\n');
}

async function runSteps(context) {
  const world = createWorld(context);
  let failed = 0;
  for (const [name, run] of stepList) {
    const started = Date.now();
    try {
      const note = await run(world);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`PASS  ${name}${note ? `  (${note})` : ''}  [${seconds} s]\n`);
    } catch (error) {
      failed += 1;
      const why = error instanceof StepFailed ? error.message : `unexpected: ${error.stack || error}`;
      process.stdout.write(`FAIL  ${name}: ${why}\n`);
    }
  }
  process.stdout.write(`${timingTable(world)}\n`);
  process.stdout.write(`${failed === 0 ? 'all steps passed' : `${failed} of ${stepList.length} steps failed`}\n`);
  return failed;
}

module.exports.runSteps = runSteps;
