/**
 * Issue 20: each health signal's release-vs-production change with its bounds, per stratum judged, in every
 * report form, and as gauges of `fleet watch`. Stratum names carry hosting providers, which come from nodes:
 * a hostile one (a terminal escape, HTML, Markdown links, a mention, a new line) must reach no medium
 * unescaped. The HTML is opened in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core).
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { aggregate } from '../../src/fleet/aggregate';
import type { GateReport } from '../../src/gate/judge/gate';
import type { SignalsReport } from '../../src/gate/judge/signalJudge';
import { gateHtml } from '../../src/gate/report/html';
import { gateMarkdown } from '../../src/gate/report/markdown';
import { createWatchMetrics } from '../../src/gate/report/metrics';
import { formatGateText, gateJsonValue } from '../../src/gate/report/text';
import { gateReportFixture, HOSTILE_TEXT } from '../support/gateReportFixture';
import { launchChromium } from '../support/headlessChromium';
import { makeTempDir } from '../support/tmp';

const HOSTILE_STRATUM = `provider:${HOSTILE_TEXT}`;

const stratum = (name: string, judged: boolean, estimate: number, low: number, high: number, harm = false) => ({
  stratum: name,
  judged,
  nodes: judged ? 400 : 12,
  estimate,
  low,
  high,
  harm,
});

const SIGNALS: SignalsReport = {
  judgedAt: '2026-01-05T00:00:00.000Z',
  alpha: 0.01,
  note: null,
  unreported: ['restarts'],
  signals: [
    {
      name: 'apps',
      good: 'runs at least one app',
      margin: 0.01,
      haltMargin: 0,
      halt: true,
      notWorse: false,
      strata: [
        stratum('all', true, 0.049, 0.0168, 0.1217, true),
        stratum('platform:arcane', true, 0.01, -0.02, 0.08),
        stratum(HOSTILE_STRATUM, true, 0.0654, 0.0073, 0.2164, true),
        stratum('provider:small', false, 0.5, -1, 1),
      ],
    },
    {
      name: 'sync',
      good: 'at most 20 blocks behind the median',
      margin: 0.02,
      haltMargin: 0.005,
      halt: false,
      notWorse: true,
      strata: [stratum('all', true, 0, -1, 0.0121)],
    },
  ],
};

function fixture(): GateReport {
  const base = gateReportFixture({ verdict: 'halt', blocking: [] });
  const criteria = [
    ...base.criteria,
    { name: 'signal.apps.upper', met: false, value: 0.1217, threshold: 0.01 },
    { name: 'signal.apps.lower', met: false, value: 0.0168, threshold: 0 },
    { name: 'signal.sync.upper', met: true, value: 0.0121, threshold: 0.02 },
    { name: 'signal.sync.lower', met: true, value: -1, threshold: 0.005 },
  ];
  return { ...base, criteria, signals: SIGNALS };
}

describe('gate reports: the health signals per stratum, hostile provider names escaped', function () {
  this.timeout(120_000);

  it('text: one line per signal, the harmed strata, labelled criteria, no escape code', () => {
    const text = formatGateText(fixture());
    expect(text).to.not.include('\u001b');
    expect(text).to.match(/apps\s+all\s+400 nodes\s+\+4\.90% \[\+1\.68%, \+12\.17%\]\s+HALT\s+margin 1\.00%/);
    expect(text).to.include('provider:9.9\\u001b[31m<script>');
    expect(text).to.match(/1 more stratum judged, no harm shown/);
    expect(text).to.match(/sync\s+all\s+400 nodes\s+0\.00% \[–, \+1\.21%\]\s+within/);
    expect(text).to.match(/signal\.apps\.lower\s+HALT\s+0\.0168\s+0\s+runs at least one app: worsened/);
    expect(text).to.not.include('provider:small');
    expect(text).to.match(/not judged, no production baseline before the release: restarts/);
  });

  it('--json: the figures as data, every stratum with whether it was judged', () => {
    const json = gateJsonValue(fixture()) as { signals: SignalsReport };
    expect(json.signals.signals[0].strata.map((s) => s.stratum)).to.deep.equal([
      'all',
      'platform:arcane',
      HOSTILE_STRATUM,
      'provider:small',
    ]);
    expect(JSON.parse(JSON.stringify(json)).signals).to.deep.equal(SIGNALS);
  });

  it('Markdown: a row per judged stratum; no link, image, mention, HTML or new line from a node', () => {
    const md = gateMarkdown(fixture());
    const rows = md.split('\n').filter((l) => l.startsWith('| apps') || l.startsWith('| sync'));
    expect(rows).to.have.length(4);
    expect(rows[0]).to.equal(
      '| apps (runs at least one app) | all | 400 | +4.90% [+1.68%, +12.17%] | HALT | margin 1.00%, halt above 0.00% |',
    );
    const hostile = rows.find((r) => r.includes('evil')) ?? '';
    for (const bad of ['<script', '](', '![', '@everyone', 'https://', 'http://', '\u001b'])
      expect(hostile, bad).to.not.include(bad);
    expect(md).to.include('`signal.apps.lower` | HALT');
  });

  it('fleet watch: a gauge per signal criterion', async () => {
    const metrics = createWatchMetrics();
    metrics.update(aggregate([], { probability: 0.07 }), fixture(), 1, new Date('2026-01-05T00:00:00Z'));
    const text = await metrics.registry.metrics();
    expect(text).to.include('fluxos_preprod_gate_criterion_met{criterion="signal.apps.lower"} 0');
    expect(text).to.include('fluxos_preprod_gate_criterion_met{criterion="signal.sync.upper"} 1');
    expect(text).to.include('fluxos_preprod_gate_criterion_ratio{criterion="signal.apps.lower",of="value"} 0.0168');
  });

  describe('HTML in headless Chromium', () => {
    let browser: Browser;
    let tmp: ReturnType<typeof makeTempDir>;
    before(async function () {
      browser = await launchChromium(this);
      tmp = makeTempDir('gate-signals-');
    });
    after(async () => {
      await browser?.close();
      tmp?.remove();
    });

    it('shows each signal per judged stratum with its bounds; a hostile provider is text, never markup', async () => {
      const file = path.join(tmp.dir, 'report.html');
      await fs.writeFile(file, gateHtml(fixture()));
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const seen = (await page.evaluate(`({
        rows: [...document.querySelectorAll('#signals tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent)),
        halted: [...document.querySelectorAll('#signals td.HALT')].length,
        note: document.querySelector('#signals-note')?.textContent,
        markup: document.querySelectorAll('script, img, a, h1 + h1').length,
      })`)) as { rows: string[][]; halted: number; note: string; markup: number };
      expect(seen.rows.map((r) => r[1])).to.deep.equal([
        'all',
        'platform:arcane',
        HOSTILE_STRATUM.replace('\u001b', '\\u001b').replace('\n', '\\n'),
        'all',
      ]);
      expect(seen.rows[0]).to.deep.equal([
        'apps runs at least one app',
        'all',
        '400',
        '+4.90% [+1.68%, +12.17%]',
        'HALT',
        'margin 1.00%, halt above 0.00%',
      ]);
      expect(seen.halted).to.equal(2);
      expect(seen.note).to.match(/α 0\.01 over every signal, stratum and look/);
      expect(seen.markup).to.equal(0);
      expect(problems).to.deep.equal([]);
      await page.close();
    });
  });
});
