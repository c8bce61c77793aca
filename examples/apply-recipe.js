#!/usr/bin/env node
// Applies one of the recipes in this folder to a checkout: `fluxos` (FluxOS master) or `watchdog`
// (fluxnode-watchdog master). A recipe only ADDS lines, at named anchors, plus new files: it changes and
// removes nothing. Each anchor is a whole line that must occur exactly once in its file (and after the
// lines listed in `after`, in order); otherwise nothing is written and the command says which anchor is
// missing. Unlike a `git apply --unidiff-zero` of the .patch files here, which places lines by line number
// alone, this refuses a FluxOS or watchdog whose code has moved instead of inserting in the wrong place.
//
//   node examples/apply-recipe.js fluxos   ~/zelflux [--dependency SPEC]
//   node examples/apply-recipe.js watchdog ~/watchdog
//
// Exit 0 applied, 1 an anchor is missing or the recipe is already applied, 2 bad usage.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const RECIPES = {
  fluxos: () => {
    const recipe = require('./fluxos/insertions');
    const { version } = require('../package.json');
    return {
      options: { dependency: recipe.dependencySpec(version) },
      insertions: recipe.insertions,
      newFiles: recipe.newFiles,
    };
  },
  watchdog: () => {
    const recipe = require('./watchdog/insertions');
    return { options: {}, insertions: recipe.insertions, newFiles: recipe.newFiles };
  },
};

class RecipeError extends Error {}

function splitLines(text) {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { eol, lines: text.split(eol) };
}

/** Index of the one line equal to `anchor` (after every line of `after`, in order), or a RecipeError. */
function findAnchor(lines, insertion) {
  const hits = [];
  lines.forEach((line, index) => {
    if (line === insertion.anchor) hits.push(index);
  });
  const where = `${insertion.file}: the line ${JSON.stringify(insertion.anchor)}`;
  if (hits.length !== 1) {
    throw new RecipeError(`${where} occurs ${hits.length} times; the recipe needs it exactly once.`);
  }
  let from = 0;
  for (const earlier of insertion.after || []) {
    const found = lines.indexOf(earlier, from);
    if (found === -1 || found >= hits[0]) {
      throw new RecipeError(`${where} is expected after ${JSON.stringify(earlier)}, which is not before it.`);
    }
    from = found + 1;
  }
  const at = hits[0] + (insertion.offset || 0);
  if (insertion.expect !== undefined && lines[at] !== insertion.expect) {
    throw new RecipeError(`${where} is expected to be preceded by ${JSON.stringify(insertion.expect)}.`);
  }
  return insertion.where === 'before' ? at : at + 1;
}

/** The new contents of every file the recipe touches, computed before anything is written. */
function plan(dir, recipe) {
  const files = new Map();
  for (const insertion of recipe.insertions(recipe.options)) {
    if (!files.has(insertion.file)) {
      const full = path.join(dir, insertion.file);
      if (!fs.existsSync(full)) throw new RecipeError(`${insertion.file} does not exist in ${dir}.`);
      files.set(insertion.file, splitLines(fs.readFileSync(full, 'utf8')));
    }
    const file = files.get(insertion.file);
    if (file.lines.includes(insertion.lines[0])) {
      throw new RecipeError(`${insertion.file} already has the recipe's lines; apply it to a clean checkout.`);
    }
    file.lines.splice(findAnchor(file.lines, insertion), 0, ...insertion.lines);
  }
  for (const added of recipe.newFiles) {
    if (fs.existsSync(path.join(dir, added.file))) {
      throw new RecipeError(`${added.file} already exists in ${dir}; apply the recipe to a clean checkout.`);
    }
  }
  return files;
}

/** Applies recipe `name` ('fluxos' or 'watchdog') to `dir`; returns the files written. Throws RecipeError. */
function applyRecipe(name, dir, overrides = {}) {
  if (!Object.prototype.hasOwnProperty.call(RECIPES, name)) {
    throw new RecipeError(`Expected the recipe to be fluxos or watchdog, got ${JSON.stringify(name)}.`);
  }
  const recipe = RECIPES[name]();
  recipe.options = { ...recipe.options, ...overrides };
  const files = plan(dir, recipe);
  for (const [file, { eol, lines }] of files) fs.writeFileSync(path.join(dir, file), lines.join(eol));
  for (const added of recipe.newFiles) {
    fs.copyFileSync(added.source, path.join(dir, added.file), fs.constants.COPYFILE_EXCL);
  }
  return [...files.keys(), ...recipe.newFiles.map((added) => added.file)];
}

function main(argv) {
  const [name, dir, ...rest] = argv;
  const overrides = {};
  if (rest[0] === '--dependency' && rest.length === 2) overrides.dependency = rest[1];
  else if (rest.length > 0) return usage();
  if (!name || !dir) return usage();
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    process.stderr.write(`apply-recipe: Expected a checkout directory, got ${JSON.stringify(dir)}.\n`);
    return 2;
  }
  try {
    for (const file of applyRecipe(name, dir, overrides)) process.stdout.write(`${file}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof RecipeError)) throw error;
    process.stderr.write(`apply-recipe: ${error.message} Nothing was written.\n`);
    return name in RECIPES ? 1 : 2;
  }
}

function usage() {
  process.stderr.write('usage: node examples/apply-recipe.js fluxos|watchdog DIR [--dependency SPEC]\n');
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { applyRecipe, RecipeError };
