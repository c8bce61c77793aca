import { expect } from 'chai';
import { seededRandom } from '../../../src/cohort/random';
import { healthWord, type StoredHealth } from '../../../src/health/encode';
import { HealthLedger, judgeHealth, type JudgeHealthOptions, type WordScanEntry } from '../../../src/health/ledger';
import { SIGNAL_RULES } from '../../../src/health/signalRules';
import { STRATA_DEFAULTS, judgeSignal } from '../../../src/health/strata';

/**
 * A seeded history fed as words: 600 nodes, 60 hourly scans, a release pushed at scan 14 that nodes take
 * over the next 20 scans (some much later, so production tallies already kept must give them up), 2% of
 * nodes missing any one scan, nodes joining late, providers that change, degraded scans, restarts, and a
 * harm (apps stop, restarts) on a share of the release nodes, so bounds move and some strata halt.
 */
function seededScans(seed: number): { key: string; entry: Omit<WordScanEntry, 'node'> }[][] {
  const random = seededRandom(seed);
  const providers = ['A', 'B', 'C', 'D', 'E', 'F'];
  const nodes = Array.from({ length: 600 }, (_, i) => ({
    key: `10.0.${i >> 8}.${i & 255}:16127`,
    joins: random() < 0.05 ? 10 + Math.floor(random() * 40) : 0,
    adopts: random() < 0.25 ? 15 + Math.floor(random() * 20) : Number.POSITIVE_INFINITY,
    harmed: random() < 0.3,
    arcane: random() < 0.3,
    provider: providers[Math.floor(random() * random() * providers.length)],
    boot: 29_000_000 + i,
    apps: random() < 0.7 ? 3 : 0,
  }));
  return Array.from({ length: 60 }, (_, scan) => {
    const entries: { key: string; entry: Omit<WordScanEntry, 'node'> }[] = [];
    for (const node of nodes) {
      if (scan < node.joins || random() < 0.02) continue;
      if (random() < 0.003) node.provider = providers[Math.floor(random() * providers.length)];
      const onRelease = scan >= node.adopts;
      const harmed = onRelease && node.harmed;
      if (random() < 0.005 || (harmed && scan % 5 === 0) || scan === node.adopts) node.boot += 60;
      const degraded = random() < 0.01;
      const stored: StoredHealth = {
        confirmed: random() > 0.01,
        benchmarkPassing: random() > 0.02,
        arcane: node.arcane,
        degraded: degraded ? 'docker' : null,
        peersInLevel: 2,
        peersOutLevel: random() < 0.05 ? 1 : 2,
        lagLevel: random() < 0.03 ? 2 : 0,
        answerLevel: random() < 0.1 ? 1 : 0,
        runningApps: degraded ? null : harmed ? 0 : random() < 0.03 ? 0 : node.apps,
        bootMinute: node.boot,
        provider: degraded ? null : node.provider,
        country: 'DE',
      };
      const entry = { word: healthWord(stored), bootMinute: node.boot, provider: stored.provider, onRelease };
      entries.push({ key: node.key, entry });
    }
    return entries;
  });
}

function add(ledger: HealthLedger, scan: { key: string; entry: Omit<WordScanEntry, 'node'> }[]): void {
  ledger.addWordScan(scan.map(({ key, entry }) => ({ ...entry, node: ledger.nodeIndex(key) })));
}

const OPTIONS: JudgeHealthOptions = {
  alpha: 0.05,
  strata: { minStratumNodes: 10, minBaselineNodes: 60, maxProviders: 3 },
};

describe('the incremental health judge', function () {
  this.timeout(120_000);

  it('gives at every look of a seeded history the judgement a fresh ledger gives', () => {
    const scans = seededScans(17);
    const incremental = new HealthLedger('release');
    let halts = 0;
    let judgedStrata = 0;
    scans.forEach((scan, look) => {
      add(incremental, scan);
      const fresh = new HealthLedger('release');
      for (const earlier of scans.slice(0, look + 1)) add(fresh, earlier);
      const judgement = judgeHealth(incremental, OPTIONS);
      expect(judgement, `look ${look}`).to.deep.equal(judgeHealth(fresh, OPTIONS));
      if (judgement.halt) halts += 1;
      for (const signal of judgement.signals) judgedStrata += signal.judgement.strata.filter((s) => s.judged).length;
    });
    // The comparison is worth something only if the looks judge strata and some halt.
    expect(halts, 'looks that halt').to.be.within(1, 45);
    expect(judgedStrata, 'strata judged over all looks and signals').to.be.above(500);
  });

  it('judges as the per-node series do (the reference path of strata.ts), signal by signal', () => {
    const scans = seededScans(23);
    const ledger = new HealthLedger('release');
    scans.forEach((scan, look) => {
      add(ledger, scan);
      if (look % 7 !== 6) return;
      const judgement = judgeHealth(ledger, OPTIONS);
      for (const rule of SIGNAL_RULES) {
        const settings = {
          ...STRATA_DEFAULTS,
          ...OPTIONS.strata,
          alpha: 0.05 / SIGNAL_RULES.length,
          promoteAlpha: STRATA_DEFAULTS.promoteAlpha,
          margin: rule.margin,
          haltMargin: rule.haltMargin,
          did: { ...(OPTIONS.strata?.did ?? STRATA_DEFAULTS.did), worsenShare: rule.worsenShare },
        };
        const reference = judgeSignal(ledger.healthNodes(rule), look, settings);
        const signal = judgement.signals.find((s) => s.name === rule.name);
        expect(signal?.judgement, `${rule.name} at look ${look}`).to.deep.equal(reference);
      }
    });
  });

  it('a scan given as changes (addChangedScan) keeps the same ledger as the whole scan (addWordScan)', () => {
    const scans = seededScans(31);
    const whole = new HealthLedger('release');
    const changes = new HealthLedger('release');
    let last = new Map<string, Omit<WordScanEntry, 'node'>>();
    scans.forEach((scan, look) => {
      // An hour without a scan in the middle: the scan after it is given whole.
      if (look === 30) {
        whole.addWordScan([]);
        changes.addWordScan([]);
      }
      add(whole, scan);
      const now = new Map(scan.map(({ key, entry }) => [key, entry]));
      const changed = scan
        .filter(({ key, entry }) => JSON.stringify(last.get(key)) !== JSON.stringify(entry))
        .map(({ key, entry }) => ({ ...entry, node: changes.nodeIndex(key) }));
      const silent = [...last.keys()].filter((key) => !now.has(key)).map((key) => changes.nodeIndex(key));
      if (look === 30) add(changes, scan);
      else changes.addChangedScan(changed, silent);
      last = now;
    });
    for (const rule of SIGNAL_RULES)
      expect(changes.healthNodes(rule), rule.name).to.deep.equal(whole.healthNodes(rule));
    expect(judgeHealth(changes, OPTIONS)).to.deep.equal(judgeHealth(whole, OPTIONS));
  });

  it('refuses a node index it did not give, in one sentence', () => {
    const ledger = new HealthLedger('release');
    const entry = { node: 3, word: 0, bootMinute: null, provider: null, onRelease: false };
    expect(() => ledger.addWordScan([entry])).to.throw(
      RangeError,
      /^Expected a node index from nodeIndex\(\), got 3\.$/,
    );
  });
});
