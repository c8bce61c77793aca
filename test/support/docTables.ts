/**
 * The documented tables against the code (docs/development.md "Facts with one home"). Pure: each check takes
 * the document's text and the facts read from the code, and returns one sentence per disagreement, naming
 * the document, the table and the row, so drift in either fails `npm test` and says what to fix.
 */

/** The rows of the first Markdown table after the heading `heading` (a line starting with it). */
export function tableAfter(markdown: string, heading: string): string[][] | null {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  if (start === -1) return null;
  let at = start + 1;
  while (at < lines.length && !lines[at].startsWith('|')) {
    if (/^#{1,3} /.test(lines[at])) return null;
    at += 1;
  }
  const rows: string[][] = [];
  for (; at < lines.length && lines[at].startsWith('|'); at += 1) {
    const cells = lines[at]
      .replace(/^\|/, '')
      .replace(/\|\s*$/, '')
      .split('|')
      .map((cell) => cell.trim());
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
    rows.push(cells);
  }
  return rows.slice(1); // without the header
}

/** `code` spans of a cell, without their backticks. */
function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
}

function onlyCode(cell: string): string {
  const spans = codeSpans(cell);
  return spans.length === 1 ? spans[0] : cell;
}

export interface Reason {
  exit: number;
  meaning: string;
}

/** The reason table (reason | meaning | exit) against the record in src/cohort/reasons.ts. */
export function checkReasonTable(markdown: string, where: string, reasons: Record<string, Reason>): string[] {
  const rows = tableAfter(markdown, '## Reason codes');
  if (rows === null) return [`${where} has no table under "## Reason codes".`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [cell, meaning, exit] of rows) {
    const code = onlyCode(cell);
    seen.add(code);
    const spec = reasons[code];
    if (spec === undefined) {
      problems.push(`${where}, reason codes: \`${code}\` is in the table but not in src/cohort/reasons.ts.`);
      continue;
    }
    if (Number(exit) !== spec.exit || exit === '') {
      problems.push(`${where}, reason codes: \`${code}\` exits ${spec.exit} in the code, the table says ${exit}.`);
    }
    if (meaning !== spec.meaning) {
      problems.push(
        `${where}, reason codes: the meaning of \`${code}\` differs from the code's: ` +
          `expected "${spec.meaning}", got "${meaning}".`,
      );
    }
  }
  for (const code of Object.keys(reasons)) {
    if (!seen.has(code)) problems.push(`${where}, reason codes: \`${code}\` is in the code but has no row.`);
  }
  return problems;
}

/** The exit-code table (command | exits | meaning) against what each command can exit with. */
export function checkExitTable(markdown: string, where: string, exits: Record<string, number[]>): string[] {
  const rows = tableAfter(markdown, '## Exit codes');
  if (rows === null) return [`${where} has no table under "## Exit codes".`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [cell, listed] of rows) {
    const command = onlyCode(cell);
    seen.add(command);
    const expected = exits[command];
    if (expected === undefined) {
      problems.push(`${where}, exit codes: \`${command}\` is in the table but is no command of the CLI.`);
      continue;
    }
    const documented = listed.split(',').map((code) => Number(code.trim()));
    if (documented.join(', ') !== expected.join(', ')) {
      problems.push(
        `${where}, exit codes: \`${command}\` exits ${expected.join(', ')} in the code, ` + `the table says ${listed}.`,
      );
    }
  }
  for (const command of Object.keys(exits)) {
    if (!seen.has(command)) problems.push(`${where}, exit codes: the command \`${command}\` has no row.`);
  }
  return problems;
}

/** The settings table (key | default | meaning) against the validated defaults. */
export function checkSettingsTable(markdown: string, where: string, defaults: Record<string, unknown>): string[] {
  const rows = tableAfter(markdown, '## Settings');
  if (rows === null) return [`${where} has no table under "## Settings".`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [cell, value] of rows) {
    const key = onlyCode(cell);
    seen.add(key);
    if (!(key in defaults)) {
      problems.push(`${where}, settings: \`${key}\` is in the table but is no setting of preProd.`);
      continue;
    }
    const expected = JSON.stringify(defaults[key]);
    let documented: string;
    try {
      documented = JSON.stringify(JSON.parse(onlyCode(value)));
    } catch {
      documented = value;
    }
    if (documented !== expected) {
      problems.push(
        `${where}, settings: the default of \`${key}\` is ${expected} in the code, the table says ${value}.`,
      );
    }
  }
  for (const key of Object.keys(defaults)) {
    if (!seen.has(key)) problems.push(`${where}, settings: \`${key}\` has a default in the code but no row.`);
  }
  return problems;
}

/**
 * The file map of design.md §10 against the files of src/ (paths relative to src/, `/`-separated): each
 * folder row names every file under that folder, by its path from the folder; the `(top)` row names the
 * files directly in src/.
 */
export function checkFileMap(markdown: string, where: string, srcFiles: readonly string[]): string[] {
  const rows = tableAfter(markdown, '## 10.');
  if (rows === null) return [`${where} has no file map under "## 10.".`];
  const rowOf = new Map<string, string>(); // listed path → the row's folder
  const folders = new Set<string>();
  for (const [cell, , files] of rows) {
    const folder = cell === '(top)' ? '' : onlyCode(cell);
    folders.add(folder);
    // The top row names files directly in src/; a path with a folder there is a mention, not an entry.
    const isEntry = (span: string) => /^[\w/.-]+\.ts$/.test(span) && (folder !== '' || !span.includes('/'));
    for (const name of codeSpans(files ?? '').filter(isEntry)) {
      rowOf.set(`${folder}${name}`, folder);
    }
  }
  const shown = (folder: string) => (folder === '' ? 'the (top)' : `the \`${folder}\``);
  const problems: string[] = [];
  for (const [file, folder] of rowOf) {
    if (!srcFiles.includes(file)) {
      problems.push(`${where} §10: \`${file}\` is named in ${shown(folder)} row but does not exist in src/.`);
    }
  }
  for (const file of srcFiles) {
    if (rowOf.has(file)) continue;
    const slash = file.indexOf('/');
    const folder = slash === -1 ? '' : file.slice(0, slash + 1);
    if (!folders.has(folder)) {
      problems.push(`${where} §10: \`${file}\` exists but the map has no \`${folder}\` row.`);
    } else {
      const name = file.slice(folder.length);
      problems.push(`${where} §10: \`${file}\` exists but is not named in ${shown(folder)} row (add \`${name}\`).`);
    }
  }
  return problems;
}

/** Every `folder/file.ts` path a document's prose names in code spans must exist (under src/ or from the root). */
export function checkNamedPaths(markdown: string, where: string, exists: (path: string) => boolean): string[] {
  // Table rows are left to the table's own check: the §10 map names files by their path from a folder.
  const prose = markdown
    .split('\n')
    .filter((line) => !line.startsWith('|'))
    .join('\n');
  const named = new Set(codeSpans(prose).filter((span) => /^[\w.-]+(\/[\w.-]+)+\.ts$/.test(span)));
  return [...named]
    .filter((path) => !exists(path))
    .map((path) => `${where} names \`${path}\`, which does not exist in src/ or the repository.`);
}
