#!/usr/bin/env node
/**
 * No import cycle in src/ (docs/development.md): a cycle means neither file can be read, tested or moved
 * without the other, and at run time one of them sees the other half-loaded.
 *
 * Every static relative import and re-export counts, `import type` included: a type-only cycle still ties
 * the two files together for a reader. A dynamic `import()` does not: it is this code's deliberate seam for
 * loading a part only when it is used (the MongoDB driver for a mongodb:// history, a CLI command's module),
 * and it runs after both modules have loaded, so it cannot see either half-loaded. Imports are read from the
 * TypeScript compiler's own parse (no dependency added; a string that looks like an import is never one).
 * Cycles are the strongly connected components of the import graph (Tarjan).
 *
 * Usage: node tools/lint/cycles.js [DIR]   (default: src)
 * Prints one line per cycle, `cycle: a.ts -> b.ts -> a.ts`, and exits 1 when there is any.
 */

const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..', '..');

function sourceFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

/** The file a relative specifier names: x.ts, or x/index.ts; null for a package or a JSON file. */
function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** The module specifiers of a file's top-level `import … from`, `export … from` and `import x = require()`. */
function staticImports(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specifiers = [];
  for (const statement of source.statements) {
    let specifier;
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
    } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
      specifier = statement.moduleReference.expression;
    }
    if (specifier && ts.isStringLiteral(specifier)) specifiers.push(specifier.text);
  }
  return specifiers;
}

function importGraph(files) {
  const graph = new Map();
  for (const file of files) {
    const targets = staticImports(file)
      .map((specifier) => resolveImport(file, specifier))
      .filter(Boolean);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file, or a file importing itself. */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (file) => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file), index.get(target)));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return found;
}

/** One path around a component, for the message: from its first file back to it, within the component. */
function loopThrough(component, graph) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const loop = [start];
        for (let at = file; at !== null && at !== start; at = previous.get(at)) loop.splice(1, 0, at);
        return [...loop, start];
      }
      if (!previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  return component;
}

/** The cycles under `dir`: one line each, paths relative to `base`; and how many files were read. */
function findCycles(dir, base = ROOT) {
  const graph = importGraph(sourceFiles(dir));
  const lines = cycles(graph).map((component) => {
    const names = loopThrough(component, graph).map((file) => path.relative(base, file));
    const more = component.length > names.length - 1 ? ` (${component.length} files in the knot)` : '';
    return `cycle: ${names.join(' -> ')}${more}`;
  });
  return { lines, files: graph.size };
}

function main(argv) {
  const { lines, files } = findCycles(path.resolve(ROOT, argv[0] ?? 'src'));
  for (const line of lines) console.log(line);
  console.log(`import cycles: ${files} files checked, ${lines.length} cycle${lines.length === 1 ? '' : 's'}`);
  return lines.length === 0 ? 0 : 1;
}

module.exports = { findCycles };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
