/**
 * The documented tables agree with the code: the reason codes, the exit codes of every command, the settings
 * defaults (docs/reference.md) and the file map of docs/design.md §10. Each check is shown to fail on a
 * document edited to drift, with a message that names the table, the row and what to fix.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { GATE_EXIT } from '../../src/cli/commands/gate';
import { buildProgram } from '../../src/cli/main';
import { REASONS } from '../../src/cohort/reasons';
import { defaultSettings } from '../../src/config/settings';
import {
  checkExitTable,
  checkFileMap,
  checkNamedPaths,
  checkReasonTable,
  checkSettingsTable,
  type Reason,
} from '../support/docTables';

// build/test/unit → the package root.
const root = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const reference = read('docs/reference.md');
const design = read('docs/design.md');

function srcFiles(dir = path.join(root, 'src'), prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? srcFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : entry.name.endsWith('.ts')
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

/** Every command of the CLI, a subcommand as `fleet watch`, read from the program itself. */
function commandNames(): string[] {
  const io = { stdout: new PassThrough(), stderr: new PassThrough() };
  const program = buildProgram(io, () => undefined);
  return program.commands.flatMap((command) => [
    command.name(),
    ...command.commands.map((sub) => `${command.name()} ${sub.name()}`),
  ]);
}

const sorted = (codes: Iterable<number>) => [...new Set(codes)].sort((a, b) => a - b);

/**
 * What each command can exit with. Every command: 0 done, 1 an unexpected or operational failure, 2 bad usage
 * (cli/main.ts). `boot` and `status` exit by reason (cohort/reasons.ts); `gate` by verdict (GATE_EXIT).
 */
function exitsByCommand(): Record<string, number[]> {
  const exits: Record<string, number[]> = {};
  for (const name of commandNames()) exits[name] = [0, 1, 2];
  const byReason = sorted([...Object.values(REASONS).map((reason) => reason.exit), 1, 2]);
  exits.boot = byReason;
  exits.status = byReason;
  exits.gate = sorted([...Object.values(GATE_EXIT), 2]);
  return exits;
}

const reasons = REASONS as Record<string, Reason>;
const defaults = defaultSettings().preProd as unknown as Record<string, unknown>;
const inRepo = (file: string) => existsSync(path.join(root, 'src', file)) || existsSync(path.join(root, file));

describe('the documented tables agree with the code', function () {
  describe('as the documents are', function () {
    it('the reason codes of docs/reference.md: each code, its meaning and its exit code', function () {
      expect(checkReasonTable(reference, 'docs/reference.md', reasons)).to.deep.equal([]);
    });

    it('the exit codes of every command in docs/reference.md', function () {
      const exits = exitsByCommand();
      expect(exits.gate).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(Object.keys(exits)).to.include.members(['boot', 'status', 'fleet', 'fleet watch', 'gate', 'demo']);
      expect(checkExitTable(reference, 'docs/reference.md', exits)).to.deep.equal([]);
    });

    it('the settings defaults of docs/reference.md', function () {
      expect(checkSettingsTable(reference, 'docs/reference.md', defaults)).to.deep.equal([]);
    });

    it('the file map of docs/design.md §10 names every file of src/ and no other', function () {
      expect(checkFileMap(design, 'docs/design.md', srcFiles())).to.deep.equal([]);
    });

    it('every source path docs/design.md and docs/development.md name exists', function () {
      expect(checkNamedPaths(design, 'docs/design.md', inRepo)).to.deep.equal([]);
      expect(checkNamedPaths(read('docs/development.md'), 'docs/development.md', inRepo)).to.deep.equal([]);
    });
  });

  describe('on a document edited to drift', function () {
    const edited = (text: string, from: string, to: string): string => {
      expect(text, `the edit needs ${from} in the document`).to.include(from);
      return text.replace(from, to);
    };

    it('names a reason whose exit code, meaning or row is wrong', function () {
      const drifted = edited(
        reference,
        '| `fetch-failed` | the fetch failed or timed out: left where it was | 1 |\n',
        '',
      );
      const worse = edited(drifted, '| `crash-loop` | too many', '| `crash-loops` | too many');
      const exit = edited(reference, "preprod is missing or lacks master's tip: production | 0 |", 'x | 1 |');
      expect(checkReasonTable(worse, 'docs/reference.md', reasons)).to.deep.equal([
        'docs/reference.md, reason codes: `crash-loops` is in the table but not in src/cohort/reasons.ts.',
        'docs/reference.md, reason codes: `crash-loop` is in the code but has no row.',
        'docs/reference.md, reason codes: `fetch-failed` is in the code but has no row.',
      ]);
      expect(checkReasonTable(exit, 'docs/reference.md', reasons)).to.deep.equal([
        'docs/reference.md, reason codes: `preprod-unavailable` exits 0 in the code, the table says 1.',
        "docs/reference.md, reason codes: the meaning of `preprod-unavailable` differs from the code's: " +
          'expected "preprod is missing or lacks master\'s tip: production", got "x".',
      ]);
    });

    it('names a reason added in the code without a row', function () {
      const added = { ...reasons, 'boot-waited': { exit: 0, meaning: 'waited out another boot' } };
      expect(checkReasonTable(reference, 'docs/reference.md', added)).to.deep.equal([
        'docs/reference.md, reason codes: `boot-waited` is in the code but has no row.',
      ]);
    });

    it('names a command whose exit codes differ, and one with no row', function () {
      const drifted = edited(reference, '| `gate` | 0, 1, 2, 3, 4, 5 |', '| `gate` | 0, 1, 2 |');
      const missing = edited(drifted, '| `fleet watch` | 0, 1, 2 |', '| `watch` | 0, 1, 2 |');
      expect(checkExitTable(missing, 'docs/reference.md', exitsByCommand())).to.deep.equal([
        'docs/reference.md, exit codes: `watch` is in the table but is no command of the CLI.',
        'docs/reference.md, exit codes: `gate` exits 0, 1, 2, 3, 4, 5 in the code, the table says 0, 1, 2.',
        'docs/reference.md, exit codes: the command `fleet watch` has no row.',
      ]);
    });

    it('names a default that differs, and a setting with no row', function () {
      const drifted = edited(reference, '| `probability` | `0.07` |', '| `probability` | `0.1` |');
      const missing = edited(drifted, '| `recheckHours` | `6` |', '| `recheckHour` | `6` |');
      expect(checkSettingsTable(missing, 'docs/reference.md', defaults)).to.deep.equal([
        'docs/reference.md, settings: the default of `probability` is 0.07 in the code, the table says `0.1`.',
        'docs/reference.md, settings: `recheckHour` is in the table but is no setting of preProd.',
        'docs/reference.md, settings: `recheckHours` has a default in the code but no row.',
      ]);
    });

    it('names a file the map lists that is gone, and a file missing from its row', function () {
      const drifted = edited(design, '`run.ts`, `steps.ts`, `inputs.ts`,', '`run.ts`, `status.ts`, `inputs.ts`,');
      expect(checkFileMap(drifted, 'docs/design.md', srcFiles())).to.deep.equal([
        'docs/design.md §10: `boot/status.ts` is named in the `boot/` row but does not exist in src/.',
        'docs/design.md §10: `boot/steps.ts` exists but is not named in the `boot/` row (add `steps.ts`).',
      ]);
    });

    it('names a new file, and a new folder with no row', function () {
      const files = [...srcFiles(), 'gate/judge/predicates.ts', 'probe/probe.ts'];
      expect(checkFileMap(design, 'docs/design.md', files)).to.deep.equal([
        'docs/design.md §10: `gate/judge/predicates.ts` exists but is not named in the `gate/` row ' +
          '(add `judge/predicates.ts`).',
        'docs/design.md §10: `probe/probe.ts` exists but the map has no `probe/` row.',
      ]);
    });

    it('names a source path the text mentions that does not exist', function () {
      const drifted = edited(design, '"what does the boot do, in\n  order" → `boot/steps.ts`', '→ `boot/status.ts`');
      expect(checkNamedPaths(drifted, 'docs/design.md', inRepo)).to.deep.equal([
        'docs/design.md names `boot/status.ts`, which does not exist in src/ or the repository.',
      ]);
    });
  });
});

describe('the README is for users; the reference lives in docs/', function () {
  const readme = read('README.md');

  it('is at most 300 lines and still shows the two commands', function () {
    expect(readme.split('\n').length).to.be.at.most(300);
    expect(readme).to.include('npm install && npm start');
    expect(readme).to.include('npm test');
  });

  it('summarises the simulation tables of docs/ as they are (tools/docs/simSummary.js --write)', function () {
    const { BEGIN, END, summaryLines } = require(path.join(root, 'tools/docs/simSummary.js'));
    const shown = readme.split(BEGIN)[1]?.split(END)[0]?.trim().split('\n') ?? [];
    const expected: string[] = summaryLines();
    expect(expected.length).to.be.above(10);
    expect(shown).to.deep.equal(expected);
  });

  it('the summary comes from the tables: an edited cell of docs/gate.md changes it', function () {
    const { summaryLines } = require(path.join(root, 'tools/docs/simSummary.js'));
    const edited = (file: string) => {
      const text = read(file);
      return file === 'docs/gate.md' ? text.replace(/\| 0\.0% \(0\/200\) \|/, '| 7.5% (15/200) |') : text;
    };
    expect(summaryLines(edited)).to.not.deep.equal(summaryLines());
  });

  it('repeats no line of docs/ (30 characters or more)', function () {
    const docLines = new Map<string, string>();
    for (const name of readdirSync(path.join(root, 'docs')).filter((file) => file.endsWith('.md'))) {
      for (const line of read(`docs/${name}`).split('\n')) docLines.set(line.trim(), `docs/${name}`);
    }
    const repeated = readme
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length >= 30 && docLines.has(line))
      .map((line) => `${docLines.get(line)}: ${line}`);
    expect(repeated).to.deep.equal([]);
  });
});
