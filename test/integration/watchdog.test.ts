/**
 * The Flux watchdog's FluxOS update check with the recipe of examples/watchdog (docs/design.md §9), on a
 * stand-in watchdog that runs the real check's commands (curl | jq from raw.githubusercontent.com, stop,
 * `git checkout . && git fetch && git pull -p`, install on ArcaneOS, start) against a local upstream served
 * as GitHub's raw host. Nodes are plain checkouts with nothing of the package installed. Today's check
 * compares every node with master's version, so a preprod node is restarted at every check; the patched
 * one compares a preprod node with preprod's version and every other node exactly as before.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createGitBed, type GitBed } from '../support/gitBed';
import { installWatchdog, runWatchdog, startRawGithub, writeShims, type RawGithub } from '../support/watchdogStandIn';

interface Node {
  dir: string;
  env: NodeJS.ProcessEnv;
  events: string;
}

const RESTART = ['pm2 stop flux', 'pm2 start flux'];

describe('the Flux watchdog with the fluxos-preprod recipe (stand-in watchdog, local GitHub)', function () {
  this.timeout(120_000);
  let bed: GitBed;
  let raw: RawGithub;
  let patched: string;
  let today: string;

  beforeEach(async function () {
    bed = await createGitBed();
    raw = await startRawGithub(bed.dir, bed.upstream);
    patched = await installWatchdog(path.join(bed.dir, 'watchdog-patched'), true);
    today = await installWatchdog(path.join(bed.dir, 'watchdog-today'), false);
  });
  afterEach(async function () {
    await raw?.close();
    await bed?.cleanup();
  });

  /** A node checkout on `branch`: ~/zelflux under its own HOME, or $FLUXOS_PATH on ArcaneOS. */
  async function node(name: string, branch: string, platform: 'legacy' | 'arcane' = 'legacy'): Promise<Node> {
    const dir = await bed.cloneNode(`${name}/zelflux`, { branch });
    const events = path.join(bed.dir, `${name}.events`);
    await fs.writeFile(events, '');
    const place = platform === 'arcane' ? { FLUXOS_PATH: dir } : { HOME: path.dirname(dir), FLUXOS_PATH: '' };
    return { dir, events, env: { ...place, PATH: await writeShims(path.join(bed.dir, name), events) } };
  }

  /** One watchdog check on `node`; resolves with the commands it ran to stop, install and start FluxOS. */
  async function check(script: string, target: Node): Promise<string[]> {
    const before = (await fs.readFile(target.events, 'utf8')).length;
    const result = await runWatchdog(script, { ...target.env, ...raw.env });
    expect(result.code, `${result.stdout}${result.stderr}`).to.equal(0);
    return (await fs.readFile(target.events, 'utf8'))
      .slice(before)
      .split('\n')
      .filter((line) => line !== '');
  }

  async function checks(script: string, target: Node, times: number): Promise<string[]> {
    const all: string[] = [];
    for (let i = 0; i < times; i += 1) all.push(...(await check(script, target)));
    return all;
  }

  async function where(target: Node): Promise<{ branch: string; commit: string; version: string }> {
    const pkg = JSON.parse(await fs.readFile(path.join(target.dir, 'package.json'), 'utf8')) as { version: string };
    return {
      branch: await bed.git(target.dir, 'rev-parse', '--abbrev-ref', 'HEAD'),
      commit: await bed.git(target.dir, 'rev-parse', 'HEAD'),
      version: pkg.version,
    };
  }

  async function release(branch: string, version: string): Promise<string> {
    const text = await bed.git(bed.upstream, 'show', `refs/heads/${branch}:package.json`);
    const pkg = `${JSON.stringify({ ...JSON.parse(text), version }, null, 2)}\n`;
    return bed.commitTo(branch, { 'package.json': pkg }, `Release ${version} on ${branch}`);
  }

  it("leaves a preprod node at preprod's version running (today's check restarts it every time)", async function () {
    const fixed = await node('preprod-fixed', 'preprod');
    const before = await where(fixed);
    expect(await checks(patched, fixed, 3)).to.deep.equal([]);
    expect(await where(fixed)).to.deep.equal(before);
    expect(raw.requests).to.include('/RunOnFlux/flux/preprod/package.json');

    const old = await node('preprod-today', 'preprod');
    expect(await checks(today, old, 2)).to.deep.equal([...RESTART, ...RESTART]);
  });

  it("updates a preprod node when preprod moves, even when its version equals master's", async function () {
    const first = await node('preprod-1', 'preprod');
    const tip = await release('preprod', '1.2.0');
    expect(await check(patched, first)).to.deep.equal(RESTART);
    expect(await where(first)).to.deep.equal({ branch: 'preprod', commit: tip, version: '1.2.0' });
    expect(await check(patched, first)).to.deep.equal([]);

    // preprod reset to master (same version) before a rollout, then the first preprod release.
    await bed.deleteBranch('preprod');
    await bed.commitTo('preprod', { 'README.md': '# reset to master\n' }, 'preprod reset to master');
    const second = await node('preprod-2', 'preprod');
    const twin = await node('preprod-2-today', 'preprod');
    expect((await where(second)).version).to.equal('1.0.0');
    const next = await release('preprod', '1.1.0');
    expect(await check(patched, second)).to.deep.equal(RESTART);
    expect(await where(second)).to.deep.equal({ branch: 'preprod', commit: next, version: '1.1.0' });
    expect(await check(today, twin), "today's check never sees preprod's release").to.deep.equal([]);
  });

  it('updates a master node as before: when master moves, and only then', async function () {
    const fixed = await node('master-fixed', 'master');
    const old = await node('master-today', 'master');
    expect(await check(patched, fixed)).to.deep.equal([]);
    const tip = await release('master', '1.0.1');
    expect(await check(patched, fixed)).to.deep.equal(RESTART);
    expect(await where(fixed)).to.deep.equal({ branch: 'master', commit: tip, version: '1.0.1' });
    expect(await checks(patched, fixed, 2)).to.deep.equal([]);
    expect(await checks(today, old, 3)).to.deep.equal(RESTART);
    expect(await where(old)).to.deep.equal(await where(fixed));
  });

  it('behaves exactly as today on every node not on preprod, nothing of the package installed', async function () {
    const kinds: Array<{ name: string; branch: string; detach?: boolean }> = [
      { name: 'master', branch: 'master' },
      { name: 'custom', branch: 'master' },
      { name: 'detached', branch: 'master', detach: true },
    ];
    const pairs: Array<{ name: string; fixed: Node; old: Node }> = [];
    for (const kind of kinds) {
      const fixed = await node(`${kind.name}-fixed`, kind.branch);
      const pair = { name: kind.name, fixed, old: await node(`${kind.name}-old`, kind.branch) };
      for (const target of [pair.fixed, pair.old]) {
        if (kind.name === 'custom') await bed.git(target.dir, 'checkout', '-q', '-b', 'my-fork-work');
        if (kind.detach) await bed.git(target.dir, 'checkout', '-q', '--detach');
        const installed = await fs.stat(path.join(target.dir, 'node_modules')).catch(() => null);
        expect(installed, 'no package installed').to.equal(null);
      }
      pairs.push(pair);
    }
    const steps: Array<{ name: string; before: () => Promise<unknown> }> = [
      { name: 'nothing new', before: async () => undefined },
      { name: 'master moved', before: () => release('master', '1.0.1') },
      {
        name: 'GitHub unreachable',
        before: async () => {
          raw.reachable = false;
        },
      },
      {
        name: 'GitHub back, master moved again',
        before: async () => {
          raw.reachable = true;
          await release('master', '1.0.2');
        },
      },
    ];
    for (const step of steps) {
      await step.before();
      for (const pair of pairs) {
        const fixed = await check(patched, pair.fixed);
        const old = await check(today, pair.old);
        expect(fixed, `${pair.name} node, ${step.name}`).to.deep.equal(old);
        expect(await where(pair.fixed), `${pair.name} node, ${step.name}`).to.deep.equal(await where(pair.old));
      }
    }
  });

  it('skips, without a restart, a preprod node whose preprod version cannot be read', async function () {
    const target = await node('preprod-skip', 'preprod');
    const before = await where(target);
    raw.reachable = false;
    expect(await check(patched, target), 'GitHub unreachable').to.deep.equal([]);
    raw.reachable = true;
    await release('master', '1.0.1');
    await bed.deleteBranch('preprod');
    expect(await check(patched, target), 'no preprod branch on GitHub').to.deep.equal([]);
    expect(await where(target)).to.deep.equal(before);
  });

  it("on ArcaneOS stops, pulls, installs with the watchdog's flags and starts FluxOS (systemd)", async function () {
    const target = await node('arcane-preprod', 'preprod', 'arcane');
    expect(await check(patched, target)).to.deep.equal([]);
    const tip = await release('preprod', '1.2.0');
    expect(await check(patched, target)).to.deep.equal([
      'systemctl stop fluxos.service',
      'npm install --omit=dev --cache /dat/usr/lib/npm',
      'systemctl start fluxos.service',
    ]);
    expect(await where(target)).to.deep.equal({ branch: 'preprod', commit: tip, version: '1.2.0' });
  });
});
