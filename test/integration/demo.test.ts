/**
 * What a newcomer runs (docs/design.md §2, §8): `npm start` builds the package, boots
 * a throw-away local fleet through the real boot path, prints the fleet
 * summary and each node's URL, serves until SIGINT/SIGTERM, and then stops
 * and removes its temp files (unless --keep).
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  describeRun,
  exists,
  httpRequest,
  PACKAGE_ROOT,
  probePort,
  processesInGroup,
  runCli,
  STACK_LINE,
  startCli,
  startProcess,
  type RunningCli,
} from '../support/cli';
import { runGit } from '../support/gitBed';

interface DemoNodeLine {
  name: string;
  mode: string;
  reason: string;
  url: string;
}

const BUILDING = /^building a local fleet of (\d+) nodes in (\S.*?) \.\.\.$/m;
const SERVING = /^Serving until Ctrl-C \(SIGINT\) or SIGTERM\.$/m;

function nodeLines(stdout: string): DemoNodeLine[] {
  const lines: DemoNodeLine[] = [];
  for (const match of stdout.matchAll(
    /^ {2}(node-\d{3}) +(preprod|production|skipped) +(\S+) +(http:\/\/127\.0\.0\.1:\d+\/flux\/info)$/gm,
  )) {
    lines.push({ name: match[1], mode: match[2], reason: match[3], url: match[4] });
  }
  return lines;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Kills whatever is left of a detached process group and removes the demo dir: a failed test must not leave a fleet
 * behind. */
async function reap(pgid: number | undefined, dir: string | undefined): Promise<void> {
  if (pgid !== undefined) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Nothing left.
    }
  }
  if (dir !== undefined && path.basename(dir).startsWith('fluxos-preprod-demo-'))
    await fs.rm(dir, { recursive: true, force: true });
}

describe('demo: the local fleet a newcomer starts', function () {
  this.timeout(180_000);

  describe('npm start -- --nodes 20', () => {
    let npm: RunningCli;
    let dir: string | undefined;
    let nodes: DemoNodeLine[] = [];
    let readyMs = 0;

    before(async () => {
      const started = Date.now();
      // Detached: npm, its shell and node share a new process group, as under a terminal or a supervisor.
      npm = startProcess('npm', ['start', '--', '--nodes', '20'], {
        cwd: PACKAGE_ROOT,
        detached: true,
        timeoutMs: 170_000,
      });
      try {
        await npm.waitFor(SERVING, { timeoutMs: 90_000 });
      } catch (error) {
        dir = npm.stderr().match(BUILDING)?.[2];
        await reap(npm.child.pid, dir);
        throw error;
      }
      readyMs = Date.now() - started;
      dir = npm.stderr().match(BUILDING)?.[2];
      nodes = nodeLines(npm.stdout());
      console.log(`      npm start -- --nodes 20: summary and URLs after ${readyMs} ms (build included)`);
    });
    after(async () => {
      await reap(npm?.child.pid, dir);
    });

    it('prints the summary and the URLs', () => {
      const out = npm.stdout();
      expect(npm.stderr()).to.match(BUILDING);
      expect(npm.stderr().match(BUILDING)?.[1]).to.equal('20');
      expect(out).to.match(/^Local fleet: 20 nodes booted through the real boot path in \d+(\.\d)? s$/m);
      expect(out).to.match(/^On preprod: \d+ of 20 answering nodes; configured share 7\.0%$/m);
      expect(out).to.match(/^Nodes asked 20, answered 20 /m);
      expect(nodes.map((n) => n.name)).to.deep.equal(
        Array.from({ length: 20 }, (_, i) => `node-${String(i + 1).padStart(3, '0')}`),
      );
      expect(new Set(nodes.map((n) => n.url)).size).to.equal(20);
      const preprod = Number(out.match(/^On preprod: (\d+) of/m)?.[1]);
      expect(nodes.filter((n) => n.mode === 'preprod')).to.have.length(preprod);
      for (const node of nodes)
        expect(node.reason).to.be.oneOf(node.mode === 'preprod' ? ['selected'] : ['not-selected']);
      expect(npm.stderr()).not.to.match(STACK_LINE);
    });

    it('each URL answers with the node it names, and the checkouts are on the branch they report', async () => {
      expect(dir, 'the temp dir is named on stderr').to.be.a('string');
      for (const node of nodes) {
        const reply = await httpRequest(node.url);
        expect(reply.status, node.url).to.equal(200);
        const body = JSON.parse(reply.body) as {
          status: string;
          data: { flux: { preProdNode: boolean; preProd: { mode: string; branch: string } } };
        };
        expect(body.status).to.equal('success');
        expect(body.data.flux.preProdNode).to.equal(node.mode === 'preprod');
        expect(body.data.flux.preProd.mode).to.equal(node.mode);
        const branch = await runGit(path.join(dir as string, node.name), ['rev-parse', '--abbrev-ref', 'HEAD']);
        expect(branch).to.equal(node.mode === 'preprod' ? 'preprod' : 'master');
        expect(body.data.flux.preProd.branch).to.equal(branch);
      }
    });

    it(
      'SIGTERM (to the process group, as a terminal or supervisor sends it) stops every node and removes the temp ' +
        'files',
      async () => {
        expect(await exists(dir as string)).to.equal(true);
        const pgid = npm.child.pid as number;
        npm.signal('SIGTERM');
        const run = await npm.exited;
        expect(run.timedOut).to.equal(false);
        // npm re-raises the signal it got; the demo's own exit code is checked on `node build/src/cli.js demo` below.
        expect(run.code === 0 || run.signal === 'SIGTERM', describeRun(run)).to.equal(true);
        expect(run.stderr).to.match(/^stopping the local fleet$/m);
        expect(run.stderr).not.to.match(STACK_LINE);
        expect(await processesInGroup(pgid), 'nothing of the demo is left running').to.deep.equal([]);
        expect(await exists(dir as string), `${dir} is removed`).to.equal(false);
        for (const node of nodes) expect(await probePort(portOf(node.url)), node.url).to.equal('ECONNREFUSED');
      },
    );
  });

  describe('node build/src/cli.js demo', () => {
    const signals: { name: string; send: (demo: RunningCli) => Promise<void> }[] = [
      { name: 'SIGTERM', send: async (demo) => demo.signal('SIGTERM') },
      { name: 'SIGINT', send: async (demo) => demo.signal('SIGINT') },
      {
        name: 'SIGINT then SIGINT again during shutdown (Ctrl-C pressed twice)',
        send: async (demo) => {
          demo.signal('SIGINT');
          await new Promise((resolve) => setTimeout(resolve, 15));
          demo.signal('SIGINT');
        },
      },
      {
        name: 'SIGTERM then SIGTERM again during shutdown (npm forwarding what the group already got)',
        send: async (demo) => {
          demo.signal('SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, 5));
          demo.signal('SIGTERM');
        },
      },
    ];
    for (const s of signals) {
      it(`${s.name}: exit 0, every node stops, the temp files are removed`, async () => {
        const demo = startCli(['demo', '--nodes', '3'], { timeoutMs: 60_000 });
        let dir: string | undefined;
        try {
          await demo.waitFor(SERVING, { timeoutMs: 45_000 });
          dir = demo.stderr().match(BUILDING)?.[2];
          const nodes = nodeLines(demo.stdout());
          expect(nodes).to.have.length(3);
          expect(await exists(dir as string)).to.equal(true);
          await s.send(demo);
          const run = await demo.exited;
          expect(run.signal, describeRun(run)).to.equal(null);
          expect(run.code, describeRun(run)).to.equal(0);
          expect(run.stderr).not.to.match(STACK_LINE);
          expect(await exists(dir as string), `${dir} is removed`).to.equal(false);
          for (const node of nodes) expect(await probePort(portOf(node.url))).to.equal('ECONNREFUSED');
        } finally {
          demo.signal('SIGKILL');
          await reap(undefined, dir ?? demo.stderr().match(BUILDING)?.[2]);
        }
      });
    }

    it('--keep keeps the temp files, and says where they are', async () => {
      // Probability 1: every node switches to preprod, whose package.json differs, so the install step runs.
      const demo = startCli(['demo', '--nodes', '2', '--probability', '1', '--keep'], { timeoutMs: 60_000 });
      let dir: string | undefined;
      try {
        await demo.waitFor(SERVING, { timeoutMs: 45_000 });
        dir = demo.stderr().match(BUILDING)?.[2];
        expect(nodeLines(demo.stdout()).map((n) => n.mode)).to.deep.equal(['preprod', 'preprod']);
        demo.signal('SIGTERM');
        const run = await demo.exited;
        expect(run.code, describeRun(run)).to.equal(0);
        expect(run.stderr).to.include(`kept ${dir}`);
        expect(await exists(dir as string)).to.equal(true);
        for (const name of ['node-001', 'node-002']) {
          const checkout = path.join(dir as string, name);
          expect(await runGit(checkout, ['rev-parse', '--abbrev-ref', 'HEAD'])).to.equal('preprod');
          expect(await exists(path.join(dir as string, `${name}.state.json`))).to.equal(true);
          // The demo's nodes have no dependencies: a real `npm install` would only reach out to the registry.
          expect(await exists(path.join(checkout, 'package-lock.json')), `npm install ran in ${checkout}`).to.equal(
            false,
          );
          expect(await exists(path.join(checkout, 'node_modules')), `npm install ran in ${checkout}`).to.equal(false);
        }
      } finally {
        demo.signal('SIGKILL');
        await reap(undefined, dir ?? demo.stderr().match(BUILDING)?.[2]);
      }
    });

    it('a store it cannot reach: exit 1 with one sentence, nothing left behind', async () => {
      const run = await runCli(['demo', '--nodes', '6', '--store', 'mongodb://127.0.0.1:1'], { timeoutMs: 30_000 });
      const dir = run.stderr.match(BUILDING)?.[2];
      try {
        expect(run.timedOut, 'the demo must not hang after a failed boot').to.equal(false);
        expect(run.code, describeRun(run)).to.equal(1);
        expect(run.stderr).not.to.match(STACK_LINE);
        const errors = run.stderr.split('\n').filter((line) => line.startsWith('fluxos-preprod: '));
        expect(errors, describeRun(run)).to.have.length(1);
        expect(errors[0]).to.match(/MongoDB/);
        expect(errors[0]).not.to.match(/Unexpected error/);
        expect(dir).to.be.a('string');
        expect(await exists(dir as string), `${dir} is removed`).to.equal(false);
      } finally {
        await reap(undefined, dir);
      }
    });

    it('bad usage exits 2 before building anything', async () => {
      const run = await runCli(['demo', '--nodes', '0']);
      expect(run.code, describeRun(run)).to.equal(2);
      expect(run.stderr).to.equal("fluxos-preprod: Expected `--nodes` to be a whole number from 1 to 500, got '0'.\n");
      expect(run.stderr).not.to.match(BUILDING);
    });
  });

  describe('npm start, stopped by SIGTERM to npm alone', () => {
    it('the demo stops too and removes its temp files (none is left running in the background)', async () => {
      // --ignore-scripts skips the prestart build (the suite above ran it); `start` itself still runs.
      const npm = startProcess('npm', ['start', '--ignore-scripts', '--', '--nodes', '2'], {
        cwd: PACKAGE_ROOT,
        detached: true,
        timeoutMs: 90_000,
      });
      const pgid = npm.child.pid as number;
      let dir: string | undefined;
      try {
        await npm.waitFor(SERVING, { timeoutMs: 45_000 });
        dir = npm.stderr().match(BUILDING)?.[2];
        const nodes = nodeLines(npm.stdout());
        // Only npm's own pid, as `kill <pid>`, pm2 or a container runtime sends it.
        npm.child.kill('SIGTERM');
        await npm.exit;
        const deadline = Date.now() + 10_000;
        while ((await processesInGroup(pgid)).length > 0 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await processesInGroup(pgid), 'the demo is still running after npm exited').to.deep.equal([]);
        expect(
          await exists(dir as string),
          `${dir} is removed; npm ${JSON.stringify(await npm.exit)}; stderr: ${npm.stderr()}`,
        ).to.equal(false);
        for (const node of nodes) expect(await probePort(portOf(node.url))).to.equal('ECONNREFUSED');
      } finally {
        await reap(pgid, dir ?? npm.stderr().match(BUILDING)?.[2]);
      }
    });
  });
});
