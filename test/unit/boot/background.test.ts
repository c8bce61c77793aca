import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { backgroundWork, jittered } from '../../../src/boot/background';
import { RESTART_MARKER_FILE } from '../../../src/boot/restartMarker';
import type { BootResult } from '../../../src/boot/service';
import { COHORT_KEY } from '../../../src/types';
import { bootWith, cohortDoc, removeTempDirs } from './harness';

const selected = { [COHORT_KEY]: cohortDoc(0.03) };
const fast = { firstMinMs: 1, firstMaxMs: 2, everyMs: 20, deferredRetryMs: 1 };

function until(check: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const look = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > 5_000) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(look, 5);
    };
    look();
  });
}

describe('background checks of a long-lived process', function () {
  after(removeTempDirs);

  it("preprod lost master's tip: finding stored, FluxOS restarted, the next boot goes to master", async function () {
    const exits: number[] = [];
    const booted = bootWith({
      stored: selected,
      gitDir: true,
      checkout: { branch: 'preprod', ancestry: [] },
      options: { backgroundChecks: true, backgroundTimings: fast, restart: 'exit', exit: (code) => exits.push(code) },
    });
    const result = await booted.svc.runAtBoot();
    expect(result).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(booted.checkout.callNames, 'the boot itself uses no network').not.to.include('fetch');
    await until(() => exits.length > 0, 'the restart');
    booted.svc.stop();
    expect(booted.checkout.callNames).to.include('fetch');
    expect(booted.checkout.callNames, 'never moves the checkout under FluxOS').not.to.include('switchTo');
    const marker = JSON.parse(readFileSync(path.join(booted.checkout.dir, '.git', RESTART_MARKER_FILE), 'utf8'));
    expect(marker).to.include({ by: 'recheck', recheck: true });

    // The next boot, in the same checkout directory, reads the marker.
    const again = await bootWith({
      stored: Object.fromEntries(booted.store.docs),
      checkout: { branch: 'preprod', ancestry: [] },
      options: { repoDir: booted.checkout.dir },
    }).svc.runAtBoot();
    expect(again).to.deep.include({
      reason: 'preprod-unavailable',
      branch: { before: 'preprod', after: 'master', switched: true },
    });
  });

  it('a preprod node whose preprod is fine is left alone, and checked again later', async function () {
    const booted = bootWith({
      stored: selected,
      checkout: { branch: 'preprod' },
      options: { backgroundChecks: true, backgroundTimings: fast },
    });
    await booted.svc.runAtBoot();
    await until(() => booted.checkout.callNames.filter((c) => c === 'fetch').length >= 2, 'two rechecks');
    booted.svc.stop();
    expect(booted.checkout.callNames).not.to.include('switchTo');
    expect(booted.exits).to.deep.equal([]);
  });

  it('which work a boot calls for', function () {
    const result = (over: Partial<BootResult>): BootResult =>
      ({
        mode: 'preprod',
        reason: 'selected',
        branch: { before: 'preprod', after: 'preprod', switched: false },
        restartPending: false,
        ...over,
      }) as BootResult;
    expect(backgroundWork(result({}), { storeless: false, markerBy: null }, false)).to.deep.equal({
      recheck: true,
      deferred: false,
    });
    expect(backgroundWork(result({ mode: 'production' }), { storeless: false, markerBy: null }, true)).to.deep.equal({
      recheck: false,
      deferred: false,
    });
    expect(
      backgroundWork(result({ branch: { before: 'master', after: 'preprod', switched: true } }), undefined, false)
        .recheck,
    ).to.equal(false);
    expect(
      backgroundWork(result({ reason: 'store-unavailable' }), { storeless: true, markerBy: null }, true).deferred,
    ).to.equal(true);
    expect(
      backgroundWork(result({}), { storeless: true, markerBy: 'deferred' }, true).deferred,
      'no restart loop',
    ).to.equal(false);
    expect(
      backgroundWork(result({}), { storeless: true, markerBy: null }, false).deferred,
      'no db to wait for',
    ).to.equal(false);
  });

  it('jitters by ±10%', function () {
    expect(jittered(1000, 0.1, () => 0)).to.equal(900);
    expect(jittered(1000, 0.1, () => 0.5)).to.equal(1000);
    expect(jittered(1000, 0.1, () => 0.999999)).to.equal(1100);
  });
});
