/** Boots the real service on a FakeCheckout and a MemoryStore: no git, no disk, milliseconds. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type PreprodService } from '../../../src/boot/service';
import { createTestService, type TestServiceOptions } from '../../../src/testing';
import { COHORT_KEY, type StoredDocument } from '../../../src/types';
import { FakeCheckout, type FakeCheckoutSetup } from '../../support/fakeCheckout';
import { MemoryStore, type StoreFault } from '../../support/memoryStore';

export const NOW = new Date('2026-11-15T12:00:00.000Z');
export const ROLLED = new Date('2026-11-10T12:00:00.000Z');

/** A stored cohort record drawn five days ago with `draw`. */
export function cohortDoc(draw: number, probability = 0.07): StoredDocument {
  return { key: COHORT_KEY, value: draw < probability, draw, rolledAt: ROLLED, probability, updatedAt: ROLLED };
}

export interface BootSetup {
  checkout?: FakeCheckoutSetup;
  /** Documents in the store before the boot. */
  stored?: Record<string, StoredDocument>;
  /** `initial` of userconfig.js. */
  initial?: Record<string, unknown>;
  preProd?: Record<string, unknown>;
  options?: Partial<TestServiceOptions>;
  storeReads?: StoreFault;
  storeWrites?: StoreFault;
  /** Give the fake checkout a real temp dir with an empty `.git` (for the lock and the restart marker). */
  gitDir?: boolean;
  /** The random source's one answer; the default fails the test if a draw is made. */
  draw?: number;
}

export interface Booted {
  svc: PreprodService;
  checkout: FakeCheckout;
  store: MemoryStore;
  lines: string[];
  exits: number[];
}

const tempDirs: string[] = [];

/** Removes the temp dirs of every boot so far (an after() hook). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function repoDirFor(setup: BootSetup): string | undefined {
  if (!setup.gitDir) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxos-preprod-unit-'));
  mkdirSync(path.join(dir, '.git'));
  tempDirs.push(dir);
  return dir;
}

export function bootWith(setup: BootSetup = {}): Booted {
  const checkout = new FakeCheckout(setup.checkout, repoDirFor(setup));
  const store = new MemoryStore(setup.stored);
  store.reads = setup.storeReads ?? 'none';
  store.writesFault = setup.storeWrites ?? 'none';
  const lines: string[] = [];
  const exits: number[] = [];
  const log = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  const svc = createTestService({
    repoDir: checkout.dir,
    repository: checkout,
    store,
    settings: { preProd: { remote: 'https://github.com/RunOnFlux/flux.git', restart: 'none', ...setup.preProd } },
    userconfig: { initial: setup.initial ?? {} },
    logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: () => undefined },
    armHealthyTimer: false,
    backgroundChecks: false,
    now: () => new Date(NOW.getTime()),
    random: () => {
      if (setup.draw === undefined) throw new Error('the boot drew although a stored draw should stand');
      return setup.draw;
    },
    exit: (code) => exits.push(code),
    processContext: { ancestors: [], env: {} },
    ...setup.options,
  });
  return { svc, checkout, store, lines, exits };
}
