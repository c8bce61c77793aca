/**
 * Hostile CLI arguments and config values, against the real built CLI and a
 * git bed. Every case: the exit code of docs/design.md §8 (0 done or left alone,
 * 1 operational failure, 2 bad usage or config), at most one error sentence
 * on stderr, bounded output, no stack trace, and nothing run or created that
 * the input asked for.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  bytesOrNull,
  describeRun,
  errorLines,
  exists,
  runCli,
  STACK_LINE,
  writeSettingsFile,
  type CliResult,
} from '../support/cli';
import { startFakeFleet, type FakeFleet } from '../support/fakeFleet';
import { createGitBed, type GitBed } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

/** Linux refuses a single argv string longer than MAX_ARG_STRLEN (32 pages = 128 KiB, NUL included). */
const MAX_ARG = 128 * 1024 - 1;
/** No error a user has to read should be longer than this, whatever the input. */
const MAX_ERROR_BYTES = 2048;

function expectOneSentence(run: CliResult, pattern?: RegExp): string {
  expect(run.stderr, `a stack trace:\n${describeRun(run)}`).not.to.match(STACK_LINE);
  expect(run.stdout).not.to.match(STACK_LINE);
  const lines = errorLines(run.stderr);
  expect(lines, `exactly one error sentence:\n${describeRun(run)}`).to.have.length(1);
  expect(lines[0]).to.match(/^fluxos-preprod: [A-Z`].*[.)]$/);
  expect(Buffer.byteLength(run.stderr), 'the error is short, whatever the input').to.be.below(MAX_ERROR_BYTES);
  expect(run.stderr, 'no raw control characters reach the terminal').not.to.match(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  if (pattern) expect(lines[0]).to.match(pattern);
  return lines[0];
}

function jsonOf(run: CliResult): Record<string, any> {
  try {
    return JSON.parse(run.stdout) as Record<string, any>;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${describeRun(run)}`);
  }
}

describe('CLI against hostile arguments and config values', function () {
  this.timeout(60_000);
  let bed: GitBed;
  let selectAll: string;
  let marker: { dir: string; remove: () => void };
  let count = 0;

  before(async () => {
    bed = await createGitBed();
    selectAll = await writeSettingsFile(bed.dir, 'select-all.json', { remote: bed.upstream, probability: 1 });
    marker = makeTempDir('fluxos-preprod-pwned-');
  });
  after(async () => {
    await bed?.cleanup();
    marker?.remove();
  });

  async function node(
    label: string,
    options: { dir?: string } = {},
  ): Promise<{ dir: string; store: string; storeFile: string }> {
    count += 1;
    const dir = options.dir ?? (await bed.cloneNode(`${label}-${count}`));
    const storeFile = path.join(bed.dir, `${label}-${count}.state.json`);
    return { dir, store: `file:${storeFile}`, storeFile };
  }
  const branchOf = (dir: string) => bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD');
  async function markerFiles(): Promise<string[]> {
    return fs.readdir(marker.dir);
  }

  describe('--repo', () => {
    it(
      'a directory that is not a checkout: exit 1, left alone (repo-unreadable), nothing written into ' + 'it',
      async () => {
        const plain = path.join(bed.dir, 'plain-dir');
        await fs.mkdir(plain);
        await fs.writeFile(path.join(plain, 'keep.txt'), 'mine\n');
        const n = await node('plain', { dir: plain });
        for (const command of ['boot', 'status']) {
          const run = await runCli([command, '--repo', plain, '--store', n.store, '--config', selectAll, '--json']);
          expect(run.code, describeRun(run)).to.equal(1);
          expect(run.stderr).not.to.match(STACK_LINE);
          const result = jsonOf(run);
          expect(result.mode).to.equal('production');
          expect(result.preProdNode).to.equal(false);
          expect(result.branch.switched).to.equal(false);
        }
        expect(
          jsonOf(await runCli(['boot', '--repo', plain, '--store', n.store, '--config', selectAll, '--json'])).reason,
        ).to.equal('repo-unreadable');
        expect(await fs.readdir(plain)).to.deep.equal(['keep.txt']);
      },
    );

    it('a sub-directory of a checkout is not that checkout: the enclosing checkout is left alone', async () => {
      const n = await node('enclosing');
      const sub = path.join(n.dir, 'ZelBack', 'config');
      await fs.writeFile(path.join(n.dir, 'untracked-operator-file.txt'), 'do not clean me\n');
      const headBefore = await bed.git(n.dir, 'rev-parse', 'HEAD');
      const run = await runCli(['boot', '--repo', sub, '--store', n.store, '--config', selectAll, '--json']);
      expect(run.code, describeRun(run)).to.equal(1);
      expect(jsonOf(run).reason).to.equal('repo-unreadable');
      expect(await branchOf(n.dir)).to.equal('master');
      expect(await bed.git(n.dir, 'rev-parse', 'HEAD')).to.equal(headBefore);
      expect(await exists(path.join(n.dir, 'untracked-operator-file.txt'))).to.equal(true);
    });

    it('a regular file: exit 2, one sentence', async () => {
      const file = path.join(bed.dir, 'not-a-dir.txt');
      await fs.writeFile(file, 'x');
      const n = await node('file', { dir: file });
      const run = await runCli(['boot', '--repo', file, '--store', n.store, '--config', selectAll, '--json']);
      expect(run.code, describeRun(run)).to.equal(2);
      expectOneSentence(run);
      expect(run.stdout).to.equal('');
      expect(await exists(n.storeFile), 'nothing is stored for bad usage').to.equal(false);
    });

    const shellish = [
      { name: 'spaces and $(touch …)', segment: (m: string) => `node with spaces $(touch ${m}) x` },
      { name: 'backticks', segment: (m: string) => `node \`touch ${m}\`` },
      { name: '; and &&', segment: (m: string) => `node; touch ${m} && echo` },
      { name: 'a leading dash', segment: (m: string) => `--upload-pack=touch ${m}` },
    ];
    for (const c of shellish) {
      it(`a checkout whose path has ${c.name} is handled as a path: it boots, and nothing runs`, async () => {
        const pwned = path.join(marker.dir, `pwned-${count}`);
        const parent = path.join(bed.dir, `shellish-${count}`);
        // The marker path holds '/', so the hostile text spans several directory levels; git clone creates them.
        const dir = path.join(parent, c.segment(pwned));
        await bed.git(bed.dir, 'clone', '--quiet', '--', bed.upstream, dir);
        const n = await node('shellish', { dir });
        const run = await runCli([
          'boot',
          '--repo',
          dir,
          '--store',
          `file:${dir}.state.json`,
          '--config',
          selectAll,
          '--json',
        ]);
        expect(run.code, describeRun(run)).to.equal(0);
        expect(jsonOf(run).branch).to.deep.equal({ before: 'master', after: 'preprod', switched: true });
        expect(await branchOf(dir)).to.equal('preprod');
        const status = await runCli([
          'status',
          '--repo',
          dir,
          '--store',
          `file:${dir}.state.json`,
          '--config',
          selectAll,
          '--json',
        ]);
        expect(status.code, describeRun(status)).to.equal(0);
        const tracked = await runCli(['tracked-version', '--repo', dir, '--config', selectAll, '--json']);
        expect(tracked.code, describeRun(tracked)).to.equal(0);
        expect(jsonOf(tracked).version).to.equal('1.1.0');
        expect(n.dir).to.equal(dir);
        expect(await markerFiles(), 'a shell ran the path').to.deep.equal([]);
        expect(await exists('/tmp/pwned')).to.equal(false);
      });
    }
  });

  describe('--config values that reach git', () => {
    const cases = [
      { key: 'branch', value: (m: string) => `--upload-pack=touch ${m}`, sentence: /`preProd\.branch`.*start/ },
      {
        key: 'productionBranch',
        value: (m: string) => `--upload-pack=touch ${m}`,
        sentence: /`preProd\.productionBranch`/,
      },
      { key: 'remote', value: (m: string) => `--upload-pack=touch ${m}`, sentence: /`preProd\.remote`/ },
      { key: 'remote', value: (m: string) => `ext::sh -c touch% ${m}`, sentence: /`preProd\.remote`/ },
      { key: 'branch', value: () => 'preprod..x', sentence: /`preProd\.branch`/ },
      { key: 'branch', value: () => 'pre\nprod', sentence: /`preProd\.branch`/ },
      { key: 'installCommand', value: () => 'rm -rf /', sentence: /`preProd\.installCommand`/ },
    ];
    for (const c of cases) {
      for (const command of ['boot', 'status', 'tracked-version']) {
        it(
          `${command}: preProd.${c.key} = ${JSON.stringify(c.value('<marker>'))} → exit 2, one sentence, nothing ` +
            `run`,
          async () => {
            const pwned = path.join(marker.dir, `pwned2-${count}`);
            const settings = await writeSettingsFile(bed.dir, `hostile-${count}.json`, {
              remote: bed.upstream,
              probability: 1,
              [c.key]: c.value(pwned),
            });
            const n = await node('hostile-config');
            const args =
              command === 'tracked-version'
                ? [command, '--repo', n.dir, '--config', settings, '--json']
                : [command, '--repo', n.dir, '--store', n.store, '--config', settings, '--json'];
            const run = await runCli(args);
            expect(run.code, describeRun(run)).to.equal(2);
            expectOneSentence(run, c.sentence);
            expect(run.stdout).to.equal('');
            expect(await branchOf(n.dir)).to.equal('master');
            expect(await exists(n.storeFile)).to.equal(false);
            expect(await markerFiles()).to.deep.equal([]);
            expect(await exists('/tmp/pwned2')).to.equal(false);
          },
        );
      }
    }

    it('a checkout whose origin is an ext:: URL equal to the configured remote: git never runs it', async () => {
      const pwned = path.join(marker.dir, `pwned-ext-${count}`);
      const url = `ext::sh -c touch% ${pwned}`;
      const n = await node('ext-origin');
      await bed.git(n.dir, 'remote', 'set-url', 'origin', url);
      // The settings file cannot name this remote if validation rejects ext:: (it should); the checkout is then not
      // ours either way.
      const settings = await writeSettingsFile(bed.dir, `ext-${count}.json`, { remote: url, probability: 1 });
      for (const args of [
        ['boot', '--repo', n.dir, '--store', n.store, '--config', settings, '--json'],
        ['tracked-version', '--repo', n.dir, '--config', settings, '--json'],
      ]) {
        const run = await runCli(args);
        expect(run.code, describeRun(run)).to.be.oneOf([1, 2]);
        expect(run.stderr).not.to.match(STACK_LINE);
      }
      expect(await branchOf(n.dir)).to.equal('master');
      expect(await markerFiles(), 'git ran the ext:: command').to.deep.equal([]);
    });

    it('a config file whose name holds a newline and an escape sequence: still one line on stderr', async () => {
      const file = path.join(bed.dir, 'evil\nname\u001b[2J.json');
      await fs.writeFile(file, '{"preProd": [');
      const n = await node('newline-config');
      const run = await runCli(['boot', '--repo', n.dir, '--store', n.store, '--config', file]);
      expect(run.code, describeRun(run)).to.equal(2);
      expectOneSentence(run, /Cannot read config file/);
    });

    const badFiles: { name: string; write: (file: string) => Promise<void>; sentence: RegExp }[] = [
      { name: 'a directory', write: (file) => fs.mkdir(file), sentence: /directory/ },
      { name: 'a JSON array', write: (file) => fs.writeFile(file, '[1,2]'), sentence: /JSON object/ },
      {
        name: 'a typo in a key',
        write: (file) => fs.writeFile(file, '{"preProd":{"probabilty":0.5}}'),
        sentence: /Unknown setting `preProd\.probabilty`/,
      },
      {
        name: 'a 2 MB file',
        write: (file) => fs.writeFile(file, `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`),
        sentence: /1 MiB/,
      },
      {
        name: '__proto__ pollution',
        write: (file) => fs.writeFile(file, '{"__proto__":{"probability":1},"preProd":{"probability":"1"}}'),
        sentence: /`preProd\.probability`/,
      },
    ];
    for (const c of badFiles) {
      it(`--config that is ${c.name} → exit 2, one sentence`, async () => {
        const n = await node('bad-config');
        const file = path.join(bed.dir, `bad-config-file-${count}.json`);
        await c.write(file);
        const run = await runCli(['boot', '--repo', n.dir, '--store', n.store, '--config', file, '--json']);
        expect(run.code, describeRun(run)).to.equal(2);
        expectOneSentence(run, c.sentence);
        expect(await branchOf(n.dir)).to.equal('master');
      });
    }
  });

  describe('huge arguments', () => {
    const huge = 'a'.repeat(MAX_ARG);
    const cases: { name: string; args: (n: { dir: string; store: string }) => string[]; code: number }[] = [
      {
        name: '--repo',
        args: (n) => ['boot', '--repo', `/tmp/${huge.slice(5)}`, '--store', n.store, '--config', selectAll],
        code: 2,
      },
      { name: '--config', args: (n) => ['boot', '--repo', n.dir, '--store', n.store, '--config', huge], code: 2 },
      {
        name: '--userconfig',
        args: (n) => ['boot', '--repo', n.dir, '--store', n.store, '--config', selectAll, '--userconfig', huge],
        code: 2,
      },
      { name: '--store', args: (n) => ['boot', '--repo', n.dir, '--store', huge, '--config', selectAll], code: 2 },
      {
        name: '--store file:<huge path> (status)',
        args: (n) => ['status', '--repo', n.dir, '--store', `file:/${huge.slice(6)}`, '--config', selectAll, '--json'],
        code: 1,
      },
      { name: '--nodes', args: () => ['simulate', '--nodes', huge, '--months', '1'], code: 2 },
      { name: 'a fleet target', args: () => ['fleet', huge], code: 2 },
      // 1 MB in all: one argument cannot be longer than 128 KiB on Linux, so eight of them.
      {
        name: '1 MB of fleet targets',
        args: () => ['fleet', ...Array.from({ length: 8 }, (_, i) => `${i}${huge.slice(1)}`)],
        code: 2,
      },
      {
        name: '1 MB of unknown options',
        args: () => ['boot', ...Array.from({ length: 8 }, (_, i) => `--${i}${huge.slice(3)}`)],
        code: 2,
      },
    ];
    for (const c of cases) {
      it(
        `${c.name} of ${c.name.startsWith('1 MB') ? '1 MB' : '128 KiB'}: exit ${c.code}, a short answer, no stack ` +
          `trace`,
        async () => {
          const n = await node('huge');
          const run = await runCli(c.args(n));
          expect(run.code, describeRun(run)).to.equal(c.code);
          expect(run.stderr).not.to.match(STACK_LINE);
          expect(
            Buffer.byteLength(run.stdout) + Buffer.byteLength(run.stderr),
            'the output does not echo the argument',
          ).to.be.below(8 * 1024);
          if (run.stdout === '') expectOneSentence(run);
          else expect(jsonOf(run).reason).to.equal('store-unavailable');
          expect(await branchOf(n.dir)).to.equal('master');
        },
      );
    }
  });

  describe('--store file:', () => {
    it(
      'a path in a directory that does not exist yet: the directory is made, the draw is stored and ' + 'kept',
      async () => {
        const n = await node('store-nodir');
        const storeFile = path.join(bed.dir, 'no', 'such', 'dir', 'state.json');
        const first = await runCli([
          'boot',
          '--repo',
          n.dir,
          '--store',
          `file:${storeFile}`,
          '--config',
          selectAll,
          '--json',
        ]);
        expect(first.code, describeRun(first)).to.equal(0);
        expect(jsonOf(first).branch.switched).to.equal(true);
        expect(await bytesOrNull(storeFile)).to.not.equal(null);
        const second = await runCli([
          'boot',
          '--repo',
          n.dir,
          '--store',
          `file:${storeFile}`,
          '--config',
          selectAll,
          '--json',
        ]);
        expect(jsonOf(second).cohort.draw).to.equal(jsonOf(first).cohort.draw);
        expect(jsonOf(second).cohort.rolled).to.equal(false);
      },
    );

    it('a path below a regular file: exit 1 (store-unavailable), the checkout is not moved', async () => {
      const n = await node('store-underfile');
      const file = path.join(bed.dir, `a-file-${count}`);
      await fs.writeFile(file, 'x');
      const run = await runCli([
        'boot',
        '--repo',
        n.dir,
        '--store',
        `file:${file}/state.json`,
        '--config',
        selectAll,
        '--json',
      ]);
      expect(run.code, describeRun(run)).to.equal(1);
      expect(run.stderr).not.to.match(STACK_LINE);
      expect(jsonOf(run).reason).to.equal('store-unavailable');
      expect(await branchOf(n.dir)).to.equal('master');
    });

    for (const url of ['file:', 'file', 'mongodb://', 'http://127.0.0.1/x', 'FILE:/tmp/x']) {
      it(`--store ${JSON.stringify(url)} → exit 2, one sentence`, async () => {
        const n = await node('bad-store');
        const run = await runCli(['boot', '--repo', n.dir, '--store', url, '--config', selectAll]);
        expect(run.code, describeRun(run)).to.equal(2);
        expectOneSentence(run, /`--store`/);
        expect(await branchOf(n.dir)).to.equal('master');
      });
    }
  });

  describe('--targets with garbage lines', () => {
    let fleet: FakeFleet;
    before(async () => {
      fleet = await startFakeFleet(['preprod']);
    });
    after(async () => {
      await fleet?.close();
    });

    it('each bad line is reported with its line number; the good ones are scanned (exit 0)', async () => {
      const good = `${fleet.targets[0].host}:${fleet.targets[0].port}`;
      const lines = [
        good, // 1
        'garbage line with spaces', // 2
        '', // 3: blank, skipped
        '# a comment', // 4
        'http://evil.example/', // 5
        `\u001b[2J\u001b[31mred`, // 6
        'x'.repeat(100_000), // 7
        '10.0.0.1:99999', // 8
        'host\u0000name', // 9
        'user@host:16127', // 10
      ];
      const file = path.join(bed.dir, 'targets.txt');
      await fs.writeFile(file, `${lines.join('\n')}\n`);
      const run = await runCli(['fleet', '--targets', file, '--timeout', '2000', '--json']);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stderr).not.to.match(STACK_LINE);
      expect(run.stderr, 'no raw escape sequence reaches the terminal').not.to.match(/[\u0000\u001b]/);
      expect(Buffer.byteLength(run.stderr)).to.be.below(4096);
      const reported = run.stderr
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => Number(line.slice(file.length + 1).split(':')[0]));
      expect(reported).to.deep.equal([2, 5, 6, 7, 8, 9, 10]);
      for (const line of run.stderr.split('\n').filter((l) => l !== ''))
        expect(line.startsWith(`${file}:`)).to.equal(true);
      const summary = jsonOf(run);
      expect(summary).to.include({ asked: 1, answered: 1, preprod: 1 });
    });

    it('a targets file that does not exist → exit 2, one sentence', async () => {
      const run = await runCli(['fleet', '--targets', path.join(bed.dir, 'no-such-targets.txt')]);
      expect(run.code, describeRun(run)).to.equal(2);
      expectOneSentence(run, /targets file/);
    });
  });

  describe('userconfig', () => {
    const cases: { name: string; source: string; sentence: RegExp }[] = [
      {
        name: "disablePreProd: 'maybe'",
        source: "module.exports = { initial: { disablePreProd: 'maybe' } };\n",
        sentence: /`initial\.disablePreProd`.*'maybe'/,
      },
      {
        name: 'disablePreProd: 2',
        source: 'module.exports = { initial: { disablePreProd: 2 } };\n',
        sentence: /`initial\.disablePreProd`/,
      },
      {
        name: 'a file that throws',
        source: "throw new Error('boom\\n    at evil (x.js:1:1)');\n",
        sentence: /no top-level `module\.exports/,
      },
      {
        name: 'a flag computed by code',
        source: 'module.exports = { initial: { disablePreProd: process.exit(0) } };\n',
        sentence: /a function call/,
      },
      { name: 'a syntax error', source: 'module.exports = { initial: { ,, } };\n', sentence: /syntax error/ },
      { name: 'no initial block', source: 'module.exports = { zelid: 1 };\n', sentence: /`initial`/ },
    ];
    for (const c of cases) {
      for (const where of ['--userconfig FILE', '<repo>/config/userconfig.js']) {
        it(`${c.name} (${where}): exit 2, one sentence naming the file, nothing moved or stored`, async () => {
          const n = await node('userconfig');
          const file =
            where === '--userconfig FILE'
              ? path.join(bed.dir, `userconfig-${count}.js`)
              : path.join(n.dir, 'config', 'userconfig.js');
          await fs.writeFile(file, c.source);
          const args = ['boot', '--repo', n.dir, '--store', n.store, '--config', selectAll, '--json'];
          if (where === '--userconfig FILE') args.push('--userconfig', file);
          const run = await runCli(args);
          expect(run.code, describeRun(run)).to.equal(2);
          const sentence = expectOneSentence(run, c.sentence);
          expect(sentence).to.include(file);
          expect(run.stdout).to.equal('');
          expect(await branchOf(n.dir)).to.equal('master');
          expect(await exists(n.storeFile)).to.equal(false);
          const status = await runCli(['status', ...args.slice(1)]);
          expect(status.code, describeRun(status)).to.equal(2);
          expectOneSentence(status, c.sentence);
        });
      }
    }
  });

  describe('fleet arguments', () => {
    for (const target of ['\u001b[2Jhost', 'a b', '[::1', 'http://x', '-h', '1.2.3.4:0', '1.2.3.4:65536']) {
      it(`target ${JSON.stringify(target)} → exit 2, one sentence, no raw escapes`, async () => {
        const run = await runCli(['fleet', '--', target]);
        expect(run.code, describeRun(run)).to.equal(2);
        expectOneSentence(run, /host\[:port\]/);
      });
    }
  });
});
