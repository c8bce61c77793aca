import { expect } from 'chai';
import { describeRun, runCli, startCli, type RunningCli } from '../support/cli';

const GATE_COMMAND = /^ {2}fluxos-preprod gate --history (file:\S+) --config (\S+)$/m;

describe('demo --release: a newcomer watches the gate', function () {
  this.timeout(240_000);
  let demo: RunningCli | null = null;
  afterEach(async () => {
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      demo.signal('SIGTERM');
      await demo.exited;
    }
    demo = null;
  });

  const cases: { release: string[]; last: string; code: number }[] = [
    { release: ['--release'], last: 'PROMOTE', code: 0 },
    { release: ['--release', 'bad'], last: 'HALT', code: 1 },
  ];
  for (const c of cases) {
    it(`${c.release.join(' ')}: the gate goes from WAIT to ${c.last}, and its history judges the same`, async () => {
      demo = startCli(['demo', '--nodes', '48', ...c.release], { timeoutMs: 230_000 });
      await demo.waitFor(/Serving until Ctrl-C/, { timeoutMs: 200_000 });
      const out = demo.stdout();
      const verdicts = [...out.matchAll(/^ {2}hour +\d+: gate (\w+)/gm)].map((m) => m[1]);
      expect(verdicts[0]).to.equal('WAIT');
      expect(verdicts[verdicts.length - 1]).to.equal(c.last);
      expect(verdicts.slice(0, -1).every((v) => v === 'WAIT')).to.equal(true);
      expect(out).to.contain(`The gate says ${c.last} (exit code ${c.code})`);
      const [, store, config] = out.match(GATE_COMMAND) ?? [];
      const judged = await runCli(['gate', '--history', store, '--config', config]);
      expect(judged.code, describeRun(judged)).to.equal(c.code);
      demo.signal('SIGTERM');
      const result = await demo.exited;
      expect(result.code, describeRun(result)).to.equal(0);
    });
  }
});
