/**
 * Under nodemon the process that switched never goes on over the new checkout (docs/design.md §5): it
 * touches the restart file and waits to be replaced; if nothing replaces it, it exits 0 for the supervisor.
 * Fake timers stand in for nodemon's delay; the touch is a real file.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import type { BootRun } from '../../../src/boot/context';
import { NODEMON_REPLACE_WAIT_MS, restartFluxos } from '../../../src/boot/finish';
import { makeTempDir } from '../../support/tmp';

describe('restart under nodemon: the old process waits to be replaced (bounded)', function () {
  let repo: { dir: string; remove: () => void };
  let clock: sinon.SinonFakeTimers;
  beforeEach(async function () {
    repo = makeTempDir('fluxos-preprod-nodemon-wait-');
    await fs.mkdir(path.join(repo.dir, 'ZelBack', 'src'), { recursive: true });
    await fs.writeFile(path.join(repo.dir, 'ZelBack', 'src', 'routes.js'), '\n');
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(function () {
    clock.restore();
    repo.remove();
  });

  let waiting: Promise<void>;
  let nowWaiting: () => void;
  function run(ancestors: string[], exit: (code: number) => void): BootRun {
    waiting = new Promise((resolve) => (nowWaiting = resolve));
    const warn = (line: string) => (/waits for nodemon/.test(line) ? nowWaiting() : undefined);
    const logger = { error: () => undefined, warn, info: () => undefined, debug: () => undefined };
    const partial = { repoDir: repo.dir, logger, now: () => new Date(), exit, processContext: { ancestors, env: {} } };
    return partial as unknown as BootRun;
  }

  it('never resolves while nodemon may replace it, then exits 0 (no crash hook for nodemon)', async function () {
    const exit = sinon.spy();
    let resolved = false;
    const restart = restartFluxos(run(['node /x/node_modules/.bin/nodemon app.js'], exit), 'nodemon', 'switch').then(
      () => (resolved = true),
    );
    await waiting;
    await clock.tickAsync(NODEMON_REPLACE_WAIT_MS - 1);
    expect(resolved).to.equal(false);
    expect(exit.called).to.equal(false);
    await clock.tickAsync(1);
    await restart;
    expect(exit.args).to.deep.equal([[0]]);
  });

  it('does not wait in a process nodemon does not run (the CLI asked for --restart nodemon)', async function () {
    const exit = sinon.spy();
    await restartFluxos(run(['/bin/bash'], exit), 'nodemon', 'switch');
    expect(exit.called).to.equal(false);
  });
});
