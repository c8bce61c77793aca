/**
 * Watchdog compatibility (DESIGN §9, issue 6 item 4). The Flux watchdog, every
 * 1–4 h, compares the node's package.json version with master's and, when they
 * differ, runs `git checkout . && git fetch && git pull -p`, reinstalls and
 * restarts FluxOS. On a preprod node the versions always differ. Played both
 * ways against the git bed: the current check restarts a preprod node on every
 * run; the check fixed with `fluxos-preprod tracked-version` never does; both
 * still update a node whose branch really moved.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeRun, runCli, writeSettingsFile } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';

/** Rounds of the watchdog played while nothing moves upstream. */
const ROUNDS = 3;

interface World {
  bed: GitBed;
  settings: string;
}

interface WatchedNode {
  name: string;
  dir: string;
  branch: 'preprod' | 'master';
  restarts: number;
}

/** The version a check compares the node's own package.json with. */
type ReferenceVersion = (world: World, node: WatchedNode) => Promise<string>;

/** Today's watchdog: master's package.json (from GitHub; here from the bed's upstream). */
const mastersVersion: ReferenceVersion = async ({ bed }) => {
  const text = await bed.git(bed.upstream, 'show', 'refs/heads/master:package.json');
  return (JSON.parse(text) as { version: string }).version;
};

/** The fixed watchdog: the version at the remote tip of the branch this node tracks. */
const trackedVersion: ReferenceVersion = async ({ settings }, node) => {
  const run = await runCli(['tracked-version', '--repo', node.dir, '--config', settings, '--json']);
  // The watchdog's rule for a failed check is "do nothing"; here a failure is a test failure.
  expect(run.code, describeRun(run)).to.equal(0);
  return (JSON.parse(run.stdout) as { version: string }).version;
};

async function localVersion(dir: string): Promise<string> {
  return (JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** One watchdog run on one node: check, and when the versions differ, update as the watchdog does and count a restart. */
async function watchdogRun(world: World, node: WatchedNode, reference: ReferenceVersion): Promise<boolean> {
  const [mine, theirs] = await Promise.all([localVersion(node.dir), reference(world, node)]);
  if (mine === theirs) return false;
  await world.bed.git(node.dir, 'checkout', '.');
  await world.bed.git(node.dir, 'fetch');
  await world.bed.git(node.dir, 'pull', '-p');
  // Reinstall and restart: what costs the node its uptime.
  node.restarts += 1;
  return true;
}

async function bumpVersion(bed: GitBed, branch: string, version: string): Promise<string> {
  const pkg = JSON.parse(await bed.git(bed.upstream, 'show', `refs/heads/${branch}:package.json`)) as Record<string, unknown>;
  return bed.commitTo(branch, { 'package.json': `${JSON.stringify({ ...pkg, version }, null, 2)}\n` }, `Release ${version} on ${branch}`);
}

describe('the Flux watchdog on a preprod fleet (git bed)', function () {
  this.timeout(60_000);

  const checks: {
    name: string;
    reference: ReferenceVersion;
    /** Restarts over ROUNDS runs while nothing moves upstream. */
    steady: { preprod: number; master: number };
    /** Restarts over ROUNDS runs after both branches moved and the nodes were updated. */
    settled: { preprod: number; master: number };
  }[] = [
    { name: "today's check (node version vs master's)", reference: mastersVersion, steady: { preprod: ROUNDS, master: 0 }, settled: { preprod: ROUNDS, master: 0 } },
    { name: 'the check fixed with `fluxos-preprod tracked-version`', reference: trackedVersion, steady: { preprod: 0, master: 0 }, settled: { preprod: 0, master: 0 } },
  ];

  for (const check of checks) {
    describe(check.name, () => {
      let world: World;
      let nodes: WatchedNode[];

      before(async () => {
        const bed = await createGitBed();
        world = { bed, settings: await writeSettingsFile(bed.dir, 'settings.json', { remote: bed.upstream, probability: 1 }) };
        const none = await writeSettingsFile(bed.dir, 'none.json', { remote: bed.upstream, probability: 0 });
        nodes = [];
        for (const [name, branch, settings] of [['preprod-node', 'preprod', world.settings], ['master-node', 'master', none]] as const) {
          const dir = await bed.cloneNode(name);
          const boot = await runCli(['boot', '--repo', dir, '--store', `file:${dir}.state.json`, '--config', settings, '--json']);
          expect(boot.code, describeRun(boot)).to.equal(0);
          expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(branch);
          nodes.push({ name, dir, branch, restarts: 0 });
        }
      });
      after(async () => {
        await world?.bed.cleanup();
      });

      const byBranch = () => ({ preprod: nodes[0], master: nodes[1] });
      async function playRounds(rounds: number): Promise<{ preprod: number; master: number }> {
        const before = { preprod: byBranch().preprod.restarts, master: byBranch().master.restarts };
        for (let round = 0; round < rounds; round += 1) {
          for (const node of nodes) await watchdogRun(world, node, check.reference);
        }
        return { preprod: byBranch().preprod.restarts - before.preprod, master: byBranch().master.restarts - before.master };
      }
      async function expectOnTip(): Promise<void> {
        for (const node of nodes) {
          expect(await world.bed.git(node.dir, 'rev-parse', '--abbrev-ref', 'HEAD'), `${node.name} stays on its branch`).to.equal(node.branch);
          expect(await world.bed.git(node.dir, 'rev-parse', 'HEAD'), `${node.name} is at the tip of ${node.branch}`).to.equal(await world.bed.tip(node.branch));
        }
      }

      it(`restarts over ${ROUNDS} runs with nothing new upstream: preprod ${check.steady.preprod}, master ${check.steady.master}`, async () => {
        expect(await playRounds(ROUNDS)).to.deep.equal(check.steady);
        await expectOnTip();
        expect(await localVersion(byBranch().preprod.dir)).to.equal('1.1.0');
        expect(await localVersion(byBranch().master.dir)).to.equal('1.0.0');
      });

      it('when preprod moves to 1.2.0 and master to 1.0.1, the next run updates both nodes (the pull brings the new commit)', async () => {
        await bumpVersion(world.bed, 'master', '1.0.1');
        await bumpVersion(world.bed, 'preprod', '1.2.0');
        expect(await playRounds(1)).to.deep.equal({ preprod: 1, master: 1 });
        await expectOnTip();
        expect(await localVersion(byBranch().preprod.dir)).to.equal('1.2.0');
        expect(await localVersion(byBranch().master.dir)).to.equal('1.0.1');
      });

      it(`after the update, ${ROUNDS} more runs restart: preprod ${check.settled.preprod}, master ${check.settled.master}`, async () => {
        expect(await playRounds(ROUNDS)).to.deep.equal(check.settled);
        await expectOnTip();
      });
    });
  }
});
