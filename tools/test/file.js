#!/usr/bin/env node
/**
 * `npm run test:file -- PATH... [MOCHA OPTION...]`: runs the named test files alone, serially, in one
 * process. A path may name the TypeScript source (test/unit/config.test.ts) or its build
 * (build/test/unit/config.test.js); the npm script builds first. No global setup: the MongoDB-protocol
 * server starts only if a suite in these files calls requireMongo() (test/support/mongoServer.ts), and the
 * global teardown in test/support/hooks.ts stops it. Arguments that do not end in .ts or .js go to mocha as
 * they are (e.g. `--grep draws`, `--reporter dot`). Exits with mocha's status, or 2 on bad usage.
 */

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');

/** The built file mocha runs for a path given on the command line, or an error sentence. */
function builtTestFile(given) {
  const relative = path.relative(ROOT, path.resolve(given));
  let built = relative;
  if (!relative.startsWith(`build${path.sep}`)) {
    if (!/\.test\.ts$/.test(relative)) {
      return { error: `Expected \`${given}\` to be a test file ending in .test.ts, got another name.` };
    }
    built = path.join('build', relative.replace(/\.ts$/, '.js'));
  }
  if (!fs.existsSync(path.join(ROOT, built))) {
    return { error: `Expected \`${given}\` to name a test file, got no ${built} (is the name right?).` };
  }
  return { file: built };
}

function main(argv) {
  // A test file ends in .ts or .js; every other argument (an option, an option's value) is mocha's.
  const isPath = (arg) => !arg.startsWith('-') && /\.(ts|js)$/.test(arg);
  const options = argv.filter((arg) => !isPath(arg));
  const paths = argv.filter(isPath);
  if (paths.length === 0) {
    console.error('Usage: npm run test:file -- test/unit/<name>.test.ts [more files] [mocha options]');
    return 2;
  }
  const files = [];
  for (const given of paths) {
    const found = builtTestFile(given);
    if (found.error) {
      console.error(found.error);
      return 2;
    }
    files.push(found.file);
  }
  const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const args = ['--no-config', '--require', 'build/test/support/hooks.js', '--timeout', '60000', '--exit'];
  const run = spawnSync(process.execPath, [mocha, ...args, ...options, ...files], { cwd: ROOT, stdio: 'inherit' });
  return run.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
