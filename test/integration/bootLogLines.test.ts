/**
 * Quiet logs (docs/design.md §5 "What the boot step logs"): the lines a boot writes through FluxOS's logger,
 * counted at every level (FluxOS's debug.log takes debug lines too). A boot that stays writes at most 3, a
 * switch at most 15; git's commands appear only when a step fails; and a selected node whose preprod is
 * unavailable says that it stays, never that it goes to preprod.
 */
import { expect } from 'chai';
import * as path from 'node:path';
import { createTestService } from '../../src/testing';
import { FileStateStore } from '../../src/state';
import { createGitBed, type GitBed } from '../support/gitBed';

interface CountingLogger {
  lines: string[];
  logger: { error(m: string): void; warn(m: string): void; info(m: string): void; debug(m: string): void };
}

function countingLogger(): CountingLogger {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => {
    for (const line of String(m).split('\n')) lines.push(`${level} ${line}`);
  };
  return { lines, logger: { error: push('error'), warn: push('warn'), info: push('info'), debug: push('debug') } };
}

const GIT_COMMAND =
  /\bgit (rev-parse|fetch|ls-remote|checkout|reset|merge|status|update-ref|config|for-each-ref|stash)\b/;

describe("the lines a boot writes to FluxOS's logs", function () {
  this.timeout(60_000);
  const beds: GitBed[] = [];

  after(async function () {
    for (const bed of beds) await bed.cleanup();
  });

  async function boot(bed: GitBed, dir: string, draw: number) {
    const log = countingLogger();
    const service = createTestService({
      repoDir: dir,
      store: new FileStateStore(path.join(bed.dir, `${path.basename(dir)}.state.json`)),
      settings: { preProd: { probability: 0.07, remote: bed.upstream, restart: 'none', installCommand: ['true'] } },
      logger: log.logger,
      armHealthyTimer: false,
      random: () => draw,
    });
    const result = await service.runAtBoot();
    return { result, lines: log.lines };
  }

  it('a boot that stays writes at most 3 lines, and no git command', async function () {
    const bed = await createGitBed();
    beds.push(bed);
    const dir = await bed.cloneNode('stays');
    const { result, lines } = await boot(bed, dir, 0.5);
    expect(result.branch).to.include({ switched: false, after: 'master' });
    expect(lines.length, lines.join('\n')).to.be.within(1, 3);
    expect(
      lines.filter((line) => GIT_COMMAND.test(line)),
      lines.join('\n'),
    ).to.deep.equal([]);
  });

  it('a switch writes at most 15 lines, and no git command', async function () {
    const bed = await createGitBed({ packageJson: { preprod: { dependencies: { ws: '8.0.0' } } } });
    beds.push(bed);
    const dir = await bed.cloneNode('switches');
    const { result, lines } = await boot(bed, dir, 0.03);
    expect(result.branch).to.include({ switched: true, after: 'preprod' });
    expect(lines.length, lines.join('\n')).to.be.within(1, 15);
    expect(
      lines.filter((line) => GIT_COMMAND.test(line)),
      lines.join('\n'),
    ).to.deep.equal([]);
  });

  it('a selected node whose preprod is missing says it stays on master, never "→ branch preprod"', async function () {
    const bed = await createGitBed({ noPreprod: true });
    beds.push(bed);
    const dir = await bed.cloneNode('unavailable');
    const { result, lines } = await boot(bed, dir, 0.03);
    expect(result).to.include({ reason: 'preprod-unavailable' });
    expect(
      lines.filter((line) => line.includes('→ branch preprod')),
      lines.join('\n'),
    ).to.deep.equal([]);
    const decision = lines.filter((line) => /preprod-unavailable/.test(line));
    expect(decision, lines.join('\n')).to.have.length(1);
    expect(decision[0]).to.match(/stay(s|ing) on master/);
    expect(lines.length, lines.join('\n')).to.be.within(1, 3);
  });
});
