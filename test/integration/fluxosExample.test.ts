/**
 * The recipes in examples/ (docs/design.md §9 "Shipping"): lines added at named anchors, nothing changed
 * or removed. The committed .patch files (for `git apply --unidiff-zero` on FluxOS master v8.17.0 and
 * fluxnode-watchdog master) must carry exactly the recipe's lines, and apply-recipe.js must refuse a
 * checkout whose anchors moved instead of inserting in the wrong place. The real repositories are not
 * here: examples/check-against-mirrors.sh is the manual check against them.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { APPLY_RECIPE, REPO_ROOT, run, STANDIN_TREE } from '../support/fluxosStandIn';
import { runGit } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

interface Insertion {
  file: string;
  lines: string[];
}

const fluxosRecipe = require(path.join(REPO_ROOT, 'examples/fluxos/insertions.js')) as {
  dependencySpec(version: string): string;
  insertions(options: { dependency: string }): Insertion[];
  newFiles: Array<{ file: string; source: string }>;
};
const watchdogRecipe = require(path.join(REPO_ROOT, 'examples/watchdog/insertions.js')) as {
  insertions(options: object): Insertion[];
};

/** Added lines per file of a `git diff -U0`; throws on any removed line or any context line. */
function addedLines(patch: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = [];
      files.set(line.replace(/^diff --git a\/(.*) b\/.*$/, '$1'), current);
    } else if (line.startsWith('@@')) {
      expect(line, 'a hunk that removes nothing').to.match(/^@@ -\d+(,0)? \+\d+(,\d+)? @@/);
    } else if (line.startsWith('+') && !line.startsWith('+++')) {
      current?.push(line.slice(1));
    } else if (line.startsWith(' ') || (line.startsWith('-') && !line.startsWith('---'))) {
      throw new Error(`the patch has a context or removed line: ${line}`);
    }
  }
  return files;
}

function recipeLines(insertions: Insertion[]): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const insertion of insertions) {
    files.set(insertion.file, [...(files.get(insertion.file) ?? []), ...insertion.lines]);
  }
  return files;
}

/** The anchor line of the boot call in apiServer.js, with its line breaks (its text also occurs in a comment). */
const DNS_CACHE_LINE = '\n  await createDnsCache();\n';

const sorted = (lines: string[] | undefined) => [...(lines ?? [])].sort();

async function packageVersion(): Promise<string> {
  return JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
}

describe('the FluxOS and watchdog recipes (examples/)', function () {
  this.timeout(60_000);
  let temp: { dir: string; remove: () => void };
  beforeEach(function () {
    temp = makeTempDir('fluxos-recipe-');
  });
  afterEach(function () {
    temp?.remove();
  });

  /** A git checkout of the stand-in FluxOS, optionally edited before the commit. */
  async function standIn(edit?: (dir: string) => Promise<void>): Promise<string> {
    const dir = path.join(temp.dir, 'flux');
    await fs.cp(STANDIN_TREE, dir, { recursive: true });
    if (edit) await edit(dir);
    await runGit(dir, ['init', '-q', '-b', 'master']);
    await runGit(dir, ['add', '-A']);
    await runGit(dir, ['commit', '-q', '-m', 'stand-in']);
    return dir;
  }

  it("fluxos-v8.17.0.patch only adds lines: the recipe's, the dependency at this version", async function () {
    const patch = await fs.readFile(path.join(REPO_ROOT, 'examples/fluxos/fluxos-v8.17.0.patch'), 'utf8');
    const version = await packageVersion();
    const expected = recipeLines(fluxosRecipe.insertions({ dependency: fluxosRecipe.dependencySpec(version) }));
    for (const added of fluxosRecipe.newFiles) {
      expected.set(added.file, (await fs.readFile(added.source, 'utf8')).replace(/\n$/, '').split('\n'));
    }
    const actual = addedLines(patch);
    expect([...actual.keys()].sort()).to.deep.equal([...expected.keys()].sort());
    for (const [file, lines] of expected) expect(sorted(actual.get(file)), file).to.deep.equal(sorted(lines));
    const dependency = `    "fluxos-preprod": "npm:@runonflux/fluxos-preprod@${version}"`;
    expect(actual.get('package.json')).to.deep.equal(['  "optionalDependencies": {', dependency, '  },']);
  });

  it("fluxnode-watchdog-master.patch only adds lines, exactly the recipe's", async function () {
    const patch = await fs.readFile(path.join(REPO_ROOT, 'examples/watchdog/fluxnode-watchdog-master.patch'), 'utf8');
    const actual = addedLines(patch);
    const expected = recipeLines(watchdogRecipe.insertions({}));
    expect([...actual.keys()]).to.deep.equal(['watchdog.js']);
    expect(sorted(actual.get('watchdog.js'))).to.deep.equal(sorted(expected.get('watchdog.js')));
  });

  it('applies to the stand-in FluxOS the same lines the patch adds to FluxOS, at the right spots', async function () {
    const dir = await standIn();
    const applied = await run(process.execPath, [APPLY_RECIPE, 'fluxos', dir]);
    expect(applied.code, applied.stderr).to.equal(0);
    await runGit(dir, ['add', '-A', '-N', '.']);
    const ours = addedLines(await runGit(dir, ['diff', '-U0']));
    const fluxos = addedLines(await fs.readFile(path.join(REPO_ROOT, 'examples/fluxos/fluxos-v8.17.0.patch'), 'utf8'));
    for (const [file, lines] of fluxos) expect(sorted(ours.get(file)), file).to.deep.equal(sorted(lines));

    const api = (await fs.readFile(path.join(dir, 'apiServer.js'), 'utf8')).split('\n');
    const at = (text: string) => api.findIndex((line) => line.trim().startsWith(text));
    expect(at("process.on('uncaughtException'")).to.be.lessThan(at('await preprodBoot.runPreprodAtBoot();'));
    expect(at('await preprodBoot.runPreprodAtBoot();')).to.be.lessThan(at('await createDnsCache();'));
    expect(at("const preprodBoot = require('./ZelBack/src/services/preprodBoot');")).to.equal(
      at("const dbHelper = require('./ZelBack/src/services/dbHelper');") + 1,
    );
    // The guard runs first, before FluxOS requires anything (docs/design.md §9).
    const app = (await fs.readFile(path.join(dir, 'app.js'), 'utf8')).split('\n');
    const guardAt = app.findIndex((line) =>
      line.includes("require('./ZelBack/src/services/preprodGuard').guardStart()"),
    );
    expect(guardAt).to.be.at.least(0);
    expect(app.slice(0, guardAt).every((line) => line.startsWith('//'))).to.equal(true);
    const info = await fs.readFile(path.join(dir, 'ZelBack/src/services/fluxService.js'), 'utf8');
    const afterStaticIp = /info\.flux\.staticIp = .*\n.*\n\s+Object\.assign\(info\.flux, preprodBoot\.preprodInfo/;
    expect(info).to.match(afterStaticIp);
  });

  const refusals: Array<{ name: string; edit: (dir: string) => Promise<void>; message: RegExp }> = [
    {
      name: 'an anchor that moved (createDnsCache renamed)',
      edit: (dir) => replaceIn(dir, 'apiServer.js', DNS_CACHE_LINE, '\n  await setUpDnsCache();\n'),
      message: /apiServer\.js: the line "  await createDnsCache\(\);" occurs 0 times/,
    },
    {
      name: 'an anchor that occurs twice',
      edit: (dir) => replaceIn(dir, 'apiServer.js', DNS_CACHE_LINE, `${DNS_CACHE_LINE}${DNS_CACHE_LINE}`),
      message: /occurs 2 times/,
    },
    {
      name: 'the boot call no longer after the uncaughtException handler',
      edit: (dir) => replaceIn(dir, 'apiServer.js', "process.on('uncaughtException'", "process.once('uncaught"),
      message: /is expected after "  process\.on\('uncaughtException', \(err\) => \{"/,
    },
  ];
  for (const refusal of refusals) {
    it(`refuses ${refusal.name}, and writes nothing`, async function () {
      const dir = await standIn(refusal.edit);
      const applied = await run(process.execPath, [APPLY_RECIPE, 'fluxos', dir]);
      expect(applied.code).to.equal(1);
      expect(applied.stderr).to.match(refusal.message);
      expect(applied.stderr).to.include('Nothing was written.');
      expect(await runGit(dir, ['status', '--porcelain'])).to.equal('');
    });
  }

  it('refuses a checkout that already has the recipe', async function () {
    const dir = await standIn();
    expect((await run(process.execPath, [APPLY_RECIPE, 'fluxos', dir])).code).to.equal(0);
    const before = await runGit(dir, ['status', '--porcelain']);
    const again = await run(process.execPath, [APPLY_RECIPE, 'fluxos', dir]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/already has the recipe's lines/);
    expect(await runGit(dir, ['status', '--porcelain'])).to.equal(before);
  });

  it('answers bad usage with exit 2 and one line', async function () {
    for (const args of [[], ['fluxos'], ['fluxos', path.join(temp.dir, 'missing')], ['nginx', temp.dir]]) {
      const result = await run(process.execPath, [APPLY_RECIPE, ...args]);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
  });
});

async function replaceIn(dir: string, file: string, from: string, to: string): Promise<void> {
  const full = path.join(dir, file);
  const text = await fs.readFile(full, 'utf8');
  expect(text.includes(from), `${file} has ${from}`).to.equal(true);
  await fs.writeFile(full, text.replace(from, to));
}
