#!/usr/bin/env node
// The README's summary of the simulation tables (README is for users; the tables live in docs/): one row per
// setup, derived from the tables in docs/gate.md and docs/health.md so that the two can never disagree.
// `node tools/docs/simSummary.js --write` rewrites the README's summary; test/unit/docTables.test.ts checks it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '../..');
const TABLES = [
  ['docs/gate.md', '<!-- simulation table -->', '<!-- end of simulation table -->', 'Dark, crash-loop, switch failure'],
  [
    'docs/health.md',
    '<!-- health simulation table -->',
    '<!-- end of health simulation table -->',
    'Health signals while nodes answer (`--health`)',
  ],
];
const BEGIN = '<!-- simulation summary (tools/docs/simSummary.js) -->';
const END = '<!-- end of simulation summary -->';

function cells(line) {
  return line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The rows of every markdown table between `begin` and `end` in `text`, as objects keyed by column name. */
function tableRows(text, begin, end) {
  const section = text.split(begin)[1]?.split(end)[0];
  if (section === undefined) return [];
  const rows = [];
  let header = null;
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) {
      header = null;
      continue;
    }
    const row = cells(line);
    if (header === null) header = row;
    else if (!row.every((cell) => /^-+$/.test(cell)))
      rows.push(Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
  }
  return rows;
}

/** "97.0% (194/200)" → "97.0%". */
function share(cell) {
  return (cell ?? '').split(' ')[0] || '–';
}

function summaryLines(read = (file) => fs.readFileSync(path.join(root, file), 'utf8')) {
  const lines = [];
  for (const [file, begin, end, title] of TABLES) {
    let text;
    try {
      text = read(file);
    } catch {
      continue;
    }
    const setups = new Map();
    for (const row of tableRows(text, begin, end)) {
      const entry = setups.get(row.setup) ?? { healthy: [], harmful: [] };
      const kind = row['release judged'];
      const prefix = kind === 'healthy' ? '' : `${kind}: `;
      const by48 = row['halted ≤ 48 h'] === undefined ? '' : ` / ${share(row['halted ≤ 48 h'])}`;
      if (/^healthy$|^fix after/.test(kind))
        entry.healthy.push(`${prefix}${share(row['halted, any look'])} / ${share(row['promoted by 96 h'])}`);
      else entry.harmful.push(`${prefix}${share(row['halted ≤ 24 h'])}${by48} / ${share(row['promoted by 96 h'])}`);
      setups.set(row.setup, entry);
    }
    if (setups.size === 0) continue;
    const harmful = [...setups.values()].some((e) => e.harmful.some((h) => h.split(' / ').length === 3))
      ? 'harmful release: halted ≤ 24 h / ≤ 48 h / promoted by 96 h'
      : 'harmful release: halted ≤ 24 h / promoted by 96 h';
    if (lines.length > 0) lines.push('');
    lines.push(`${title} (${file}):`, '');
    lines.push(`| setup | healthy release: halted at any look / promoted by 96 h | ${harmful} |`, '| --- | --- | --- |');
    for (const [setup, { healthy, harmful: harms }] of setups)
      lines.push(`| ${setup} | ${healthy.join('; ') || '–'} | ${harms.join('; ') || '–'} |`);
  }
  return lines;
}

/** The README with its summary section replaced by `lines`; null when the README has no such section. */
function withSummary(readme, lines) {
  const [before, rest] = readme.split(BEGIN);
  if (rest === undefined || !rest.includes(END)) return null;
  return `${before}${BEGIN}\n${lines.join('\n')}\n${END}${rest.split(END)[1]}`;
}

if (require.main === module) {
  const file = path.join(root, 'README.md');
  const next = withSummary(fs.readFileSync(file, 'utf8'), summaryLines());
  if (next === null) {
    process.stderr.write(`README.md has no ${BEGIN} … ${END} section.\n`);
    process.exitCode = 1;
  } else if (process.argv.includes('--write')) fs.writeFileSync(file, next);
  else process.stdout.write(`${summaryLines().join('\n')}\n`);
}

module.exports = { BEGIN, END, summaryLines, tableRows, withSummary };
