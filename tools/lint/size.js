#!/usr/bin/env node
/**
 * The size limits of docs/design.md §10, which Biome's linter does not check
 * as the project states them:
 *   - no function over 60 lines in src/ (from the line of its first token to
 *     its last line, blank lines and comments inside included, nested
 *     functions counted in their parent too);
 *   - no file over 300 lines in src/ (physical lines), or 400 for an orchestrator: a file whose
 *     first lines say `// size: orchestrator: <why it reads better whole>` (docs/development.md);
 *   - no line over 120 characters in src/, test/ and bench/ (and here).
 *
 * Functions are found with the TypeScript compiler's parser, so a brace in a
 * string or a regular expression never confuses the count.
 *
 * Usage: node tools/lint/size.js [PATH...]   (default: src test bench and tools/lint, api, test)
 * Prints one line per violation, `path:line: what`, and exits 1 when there is
 * any, 2 on bad usage.
 */

const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const LIMITS = { functionLines: 60, fileLines: 300, orchestratorLines: 400, lineChars: 120 };

/**
 * The marker of an orchestrator, in the file's first 10 lines, with its reason: one flow that reads better
 * whole than scattered over files to fit 300 lines. A marker without a reason does not count.
 */
const ORCHESTRATOR_MARKER = /^\s*\/\/ size: orchestrator: (\S.{9,})$/;

/** The file's line limit: 400 when its first lines carry the orchestrator marker with a reason, else 300. */
function fileLimit(lines) {
  return lines.slice(0, 10).some((line) => ORCHESTRATOR_MARKER.test(line))
    ? LIMITS.orchestratorLines
    : LIMITS.fileLines;
}
const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_PATHS = ['src', 'test', 'bench', 'tools/lint', 'tools/api', 'tools/test'];
const SOURCE_EXTENSIONS = ['.ts', '.js'];
/** Directories never walked: build output, dependencies, caches. */
const SKIPPED_DIRS = new Set(['node_modules', 'build', '.cache', '.git']);

/**
 * The stand-in watchdog keeps the real watchdog's lines as they are: the recipe inserts its lines at
 * anchors that must match the real file byte for byte, long lines included.
 */
const VERBATIM_DIRS = [path.join('test', 'support', 'watchdogStandIn')];

function isVerbatim(relativePath) {
  return VERBATIM_DIRS.some((dir) => relativePath.startsWith(`${dir}${path.sep}`));
}

/** Whether the function and file limits apply: they are about the product's code, in src/. */
function inSrc(relativePath) {
  return relativePath === 'src' || relativePath.startsWith(`src${path.sep}`);
}

function physicalLines(text) {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** A readable name for a function-like node: its own, or that of what it is assigned to. */
function functionName(node, sourceFile) {
  if (node.name) return node.name.getText(sourceFile);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
  ) {
    return parent.name.getText(sourceFile);
  }
  if (parent && (ts.isCallExpression(parent) || ts.isNewExpression(parent))) {
    const callee = parent.expression.getText(sourceFile).slice(0, 40);
    return `callback of ${ts.isNewExpression(parent) ? 'new ' : ''}${callee}`;
  }
  return '<anonymous>';
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/**
 * Functions of `text` longer than `maxLines`, as { line, name, lines }. An
 * overload signature has no body, so no length.
 */
function longFunctions(fileName, text, maxLines = LIMITS.functionLines) {
  const kind = fileName.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const visit = (node) => {
    if (isFunctionLike(node) && node.body) {
      const first = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line;
      const last = sourceFile.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > maxLines) found.push({ line: first + 1, name: functionName(node, sourceFile), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** Every violation in one file's text, as { line, message }. */
function checkText(relativePath, text) {
  const violations = [];
  const lines = physicalLines(text);
  lines.forEach((line, index) => {
    // Characters as a reader counts them: an arrow or an accented letter is one.
    const chars = [...line].length;
    if (chars > LIMITS.lineChars && !isVerbatim(relativePath)) {
      violations.push({ line: index + 1, message: `line of ${chars} characters (limit ${LIMITS.lineChars})` });
    }
  });
  if (inSrc(relativePath)) {
    const limit = fileLimit(lines);
    if (lines.length > limit) {
      const kind = limit === LIMITS.fileLines ? '' : ', an orchestrator';
      violations.push({ line: 1, message: `file of ${lines.length} lines (limit ${limit}${kind})` });
    }
    for (const fn of longFunctions(relativePath, text)) {
      violations.push({
        line: fn.line,
        message: `function ${fn.name} of ${fn.lines} lines (limit ${LIMITS.functionLines})`,
      });
    }
  }
  return violations.sort((a, b) => a.line - b.line);
}

function isSource(name) {
  return SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts');
}

function sourceFilesUnder(absolute) {
  const stat = fs.statSync(absolute);
  if (stat.isFile()) return [absolute];
  const files = [];
  for (const entry of fs.readdirSync(absolute, { withFileTypes: true })) {
    const full = path.join(absolute, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...sourceFilesUnder(full));
    } else if (entry.isFile() && isSource(entry.name)) {
      files.push(full);
    }
  }
  return files;
}

function main(argv) {
  const targets = argv.length > 0 ? argv : DEFAULT_PATHS;
  const files = [];
  for (const target of targets) {
    const absolute = path.resolve(ROOT, target);
    if (!fs.existsSync(absolute)) {
      process.stderr.write(
        `Expected each path to be a file or folder of the repository, got ${JSON.stringify(target)}.\n`,
      );
      return 2;
    }
    files.push(...sourceFilesUnder(absolute));
  }
  let count = 0;
  for (const file of [...new Set(files)].sort()) {
    const relativePath = path.relative(ROOT, file);
    for (const v of checkText(relativePath, fs.readFileSync(file, 'utf8'))) {
      process.stdout.write(`${relativePath}:${v.line}: ${v.message}\n`);
      count += 1;
    }
  }
  const summary = `size limits: ${files.length} files checked, ${count} violation${count === 1 ? '' : 's'}`;
  (count > 0 ? process.stderr : process.stdout).write(`${summary}\n`);
  return count > 0 ? 1 : 0;
}

module.exports = { LIMITS, checkText, longFunctions, physicalLines };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
