#!/usr/bin/env node
// Checks that every require() the FluxOS recipe adds resolves in a patched FluxOS checkout:
// node builtins, relative paths (a file in the checkout), and packages FluxOS declares in package.json
// (fluxos-preprod must also be found under node_modules, e.g. after unpacking `npm pack` there).
//   node examples/check-requires.js FLUXOS_DIR
// Prints one line per require; exit 1 when one does not resolve.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { builtinModules, createRequire } = require('node:module');
const { insertions, newFiles } = require('./fluxos/insertions');

const REQUIRE = /require\((['"])([^'"]+)\1\)/g;

function requiresIn(text) {
  return [...text.matchAll(REQUIRE)].map((match) => match[2]);
}

function check(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  // fluxos-preprod is an optional dependency (see fluxos/insertions.js); FluxOS's own are plain ones.
  const declared = { ...pkg.dependencies, ...pkg.optionalDependencies };
  const wanted = [];
  for (const insertion of insertions({ dependency: '' })) {
    for (const spec of requiresIn(insertion.lines.join('\n'))) wanted.push({ file: insertion.file, spec });
  }
  for (const added of newFiles) {
    for (const spec of requiresIn(fs.readFileSync(path.join(dir, added.file), 'utf8'))) wanted.push({ file: added.file, spec });
  }
  let failures = 0;
  for (const { file, spec } of wanted) {
    const from = path.dirname(path.join(dir, file));
    let outcome;
    if (spec.startsWith('node:') || builtinModules.includes(spec)) outcome = 'node builtin';
    else if (spec.startsWith('.')) outcome = resolveIn(spec, from, dir);
    else if (!declared[spec]) outcome = null;
    else if (spec === 'fluxos-preprod') outcome = resolveIn(spec, from, dir);
    else outcome = `declared in package.json (${declared[spec]})`;
    if (outcome === null) failures += 1;
    process.stdout.write(`${outcome === null ? 'MISSING' : 'ok     '} ${file}: require('${spec}')${outcome ? ` -> ${outcome}` : ''}\n`);
  }
  return failures === 0 ? 0 : 1;
}

function resolveIn(spec, from, dir) {
  try {
    // As the patched file would: a require() made from this package's own folder would find this package itself.
    return path.relative(dir, createRequire(path.join(from, 'index.js')).resolve(spec));
  } catch {
    return null;
  }
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node examples/check-requires.js FLUXOS_DIR\n');
    process.exitCode = 2;
  } else {
    process.exitCode = check(path.resolve(dir));
  }
}
