/**
 * Issue 18 §5: `fleet watch` serves the verdict beside /metrics, and the
 * GitHub workflow's check step (examples/github/gate-check.js) passes the
 * preprod → master pull request only on promote. Real nodes on 127.0.0.1, a
 * real `fleet watch` and `gate` (the built CLI), real curl, the real script.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { NodeResult } from '../../src/fleet/scan';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { observe } from '../../src/gate/history/observation';
import { buildScan } from '../../src/gate/history/scanRecord';
import { describeRun, PACKAGE_ROOT, runCli, startCli, type RunningCli } from '../support/cli';
import { makeTempDir } from '../support/tmp';
import { startReleaseFleet, type NodeInfo, type ReleaseFleet } from './gateFleet';

const run = promisify(execFile);
const CHECK = path.join(PACKAGE_ROOT, 'examples', 'github', 'gate-check.js');
const HOURS = 30;
const SELECTED = 40;
const NODES = 80;
// Loose enough for 40 release nodes to be promoted within a day; the verdicts are what this test needs, not realism.
const GATE = {
  minSoakHours: 4,
  minPreprodNodes: 10,
  minNodeHours: 10,
  confidence: 0.6,
  darkMargin: 0.3,
  darkHaltMargin: 0.3,
  darkStratumHaltMargin: 0.3,
  earlyDarkMargin: 0.3,
  maxCrashLoopShare: 0.3,
  crashLoopHaltShare: 0.3,
  maxSwitchFailShare: 0.3,
};

type Scenario = 'promote' | 'halt' | 'wait';

/** 40 selected nodes (30 of them fall back in crash-loop for `halt`, 3 h after the release), 40 production. */
function nodeInfo(i: number, scenario: Scenario, hour: number): NodeInfo {
  // For `wait` the release comes out with the watch's own scan, after the recorded hours.
  const releaseOut = hour >= (scenario === 'wait' ? HOURS : 1);
  const base = { commit: 'c0ffee0000', draw: i < SELECTED ? 0.01 : 0.5, probability: 0.4 };
  if (i >= SELECTED)
    return { ...base, version: '0.9', commit: 'abc0000000', mode: 'production', reason: 'not-selected' };
  if (scenario === 'halt' && i < (SELECTED * 3) / 4 && hour >= 4)
    return { ...base, version: '0.9', commit: 'abc0000000', mode: 'production', reason: 'crash-loop' };
  if (!releaseOut) return { ...base, version: '1.0', commit: 'b0b0000000', mode: 'preprod', reason: 'selected' };
  return { ...base, version: '2.0', mode: 'preprod', reason: 'selected' };
}

function resultOf(target: string, info: NodeInfo): NodeResult {
  const [host, port] = target.split(':');
  return { host, port: Number(port), kind: info.mode, ms: 1, ...info } as NodeResult;
}

/** Hourly scans up to an hour ago, then the nodes as the watch will find them. */
async function writeHistory(file: string, fleet: ReleaseFleet, scenario: Scenario): Promise<void> {
  const history = new FileHistory(file);
  const now = Date.now();
  for (let h = 0; h < HOURS; h += 1) {
    const results = fleet.targets.map((t, i) => resultOf(t, nodeInfo(i, scenario, h)));
    const at = new Date(now - (HOURS - h) * 3_600_000).toISOString();
    await history.append((tail) => buildScan(tail.table, results.map(observe), at, tail.seq + 1));
  }
  fleet.states.forEach((_, i) => {
    fleet.states[i] = nodeInfo(i, scenario, HOURS);
  });
}

async function checkStep(gateUrl: string, env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout } = await run(process.execPath, [CHECK], {
      env: { PATH: process.env.PATH, GATE_URL: gateUrl, ...env },
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('fleet watch serves the verdict; the workflow check passes only on promote', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof makeTempDir>;
  let fleet: ReleaseFleet | null = null;
  let watch: RunningCli | null = null;
  let config: string;
  beforeEach(async () => {
    tmp = makeTempDir('gate-workflow-');
    config = path.join(tmp.dir, 'config.json');
    await fs.writeFile(config, JSON.stringify({ gate: GATE }));
  });
  afterEach(async () => {
    if (watch && watch.child.exitCode === null && watch.child.signalCode === null) watch.signal('SIGKILL');
    watch = null;
    await fleet?.close();
    fleet = null;
    tmp.remove();
  });

  for (const scenario of ['promote', 'halt', 'wait'] as const) {
    const exit = scenario === 'promote' ? 0 : 1;
    it(`${scenario}: curl /gate.json agrees with \`gate\` on the same history; the check exits ${exit}`, async () => {
      fleet = await startReleaseFleet(Array.from({ length: NODES }, (_, i) => nodeInfo(i, scenario, 0)));
      const file = path.join(tmp.dir, 'h.log');
      await writeHistory(file, fleet, scenario);
      const store = `file:${file}`;
      watch = startCli([
        'fleet',
        'watch',
        ...fleet.targets,
        '--every',
        '1h',
        '--record',
        store,
        '--config',
        config,
        '--metrics-port',
        '0',
      ]);
      const metrics = (await watch.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/metrics/))[1];
      await watch.waitFor(/scan at \S+: 80 of 80 answered; gate \w+/, { stream: 'stderr' });
      const curl = await run('curl', ['-sS', '--fail', `${metrics}/gate.json`]);
      const served = JSON.parse(curl.stdout);
      const gate = await runCli(['gate', '--history', store, '--config', config, '--json']);
      expect(JSON.parse(gate.stdout).verdict, describeRun(gate)).to.equal(served.verdict);
      expect(served.verdict).to.equal(scenario);
      expect(served.release).to.include({ version: '2.0', commit: 'c0ffee0000' });

      const summary = path.join(tmp.dir, 'summary.md');
      const check = await checkStep(metrics, { GITHUB_STEP_SUMMARY: summary, EXPECT_COMMIT: 'c0ffee0000aaaa' });
      expect(check.code, check.stdout).to.equal(scenario === 'promote' ? 0 : 1);
      expect(check.stdout).to.match(new RegExp(`^preprod gate: ${scenario}: 2\\.0 \\(c0ffee0000\\) may`));
      const markdown = await run('curl', ['-sS', '--fail', `${metrics}/gate.md`]);
      expect(await fs.readFile(summary, 'utf8')).to.equal(markdown.stdout);
      expect(markdown.stdout).to.match(new RegExp(`^## Preprod gate: \\S+ ${scenario.toUpperCase()}\\n`));

      const badge = await run('curl', ['-sS', '-D', '-', `${metrics}/gate.svg`]);
      expect(badge.stdout).to.match(/content-type: image\/svg\+xml/i);
      expect(badge.stdout).to.contain(`aria-label="preprod gate: ${scenario}"`);
      const html = await run('curl', ['-sS', '-D', '-', `${metrics}/gate.html`]);
      expect(html.stdout).to.match(/content-security-policy: default-src 'none'/i);
      expect(html.stdout).to.contain('<h1>Preprod gate <span class="verdict"');
      watch.signal('SIGTERM');
      expect((await watch.exited).code).to.equal(0);
    });
  }

  it('the check fails when the gate judged another commit than the pull request’s head', async () => {
    fleet = await startReleaseFleet(Array.from({ length: NODES }, (_, i) => nodeInfo(i, 'promote', 0)));
    const file = path.join(tmp.dir, 'h.log');
    await writeHistory(file, fleet, 'promote');
    watch = startCli([
      'fleet',
      'watch',
      ...fleet.targets,
      '--every',
      '1h',
      '--record',
      `file:${file}`,
      '--config',
      config,
      '--metrics-port',
      '0',
    ]);
    const metrics = (await watch.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/metrics/))[1];
    await watch.waitFor(/gate promote/, { stream: 'stderr' });
    const check = await checkStep(`${metrics}/metrics`, { EXPECT_COMMIT: 'deadbeef00' });
    expect(check.code, check.stdout).to.equal(1);
    expect(check.stdout).to.equal(
      "preprod gate: promote on 2.0 (c0ffee0000), but the pull request's head is deadbeef00.\n",
    );
  });
});

describe('the workflow check against other answers', function () {
  this.timeout(60_000);
  let server: http.Server;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/gate.md') res.writeHead(200).end('## report\n');
      else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const cases: { name: string; status: number; body: string; code: number; line: RegExp }[] = [
    {
      name: 'inconclusive',
      status: 200,
      body: JSON.stringify({ verdict: 'inconclusive', release: { version: '2.0', commit: 'c0ffee0000' } }),
      code: 1,
      line: /^preprod gate: inconclusive: 2\.0 \(c0ffee0000\) may not go to master yet\.\n$/,
    },
    {
      name: 'a version that tries a workflow command and an escape code',
      status: 200,
      body: JSON.stringify({ verdict: 'halt', release: { version: '1\n::add-mask::x\u001b[2J', commit: null } }),
      code: 1,
      line: /^preprod gate: halt: 1\?\?\?add-mask\?\?x\?\?2J \(no\?commit\) may not go to master yet\.\n$/,
    },
    { name: 'no verdict yet (503)', status: 503, body: '{"error":"x"}', code: 2, line: /HTTP 503/ },
    { name: 'not a verdict', status: 200, body: '{"verdict":"yes"}', code: 2, line: /not a verdict/ },
    { name: 'not JSON', status: 200, body: '<html>', code: 2, line: /cannot ask the watch: SyntaxError/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}`, async () => {
      answer = { status: c.status, body: c.body };
      const check = await checkStep(base);
      expect(check.code, check.stdout).to.equal(c.code);
      expect(check.stdout).to.match(c.line);
      expect(check.stdout.split('\n')).to.have.length(2);
    });
  }

  it('an unreachable watch or a URL that is not http(s): exit 2', async () => {
    expect((await checkStep('http://127.0.0.1:1')).code).to.equal(2);
    expect((await checkStep('file:///etc/passwd')).code).to.equal(2);
    expect((await checkStep('')).code).to.equal(2);
  });
});
