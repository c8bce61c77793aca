/**
 * Issue 17: the HTML report, opened in headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core), shows the decisive numbers
 * with their intervals over time and the gaps: a band and a line per number,
 * the margin and the ceiling, a shaded 44 h hole that no line crosses.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { gateHtml } from '../../src/gate/report/html';
import { gateReportFixture } from '../support/gateReportFixture';
import { launchChromium } from '../support/headlessChromium';
import { makeTempDir } from '../support/tmp';

interface ChartView {
  title: string;
  bands: number;
  lineRuns: number;
  /** x of every drawn line point, per run. */
  runs: number[][];
  gaps: { x: number; width: number }[];
  limits: string[];
  width: number;
}

const READ_CHARTS = `[...document.querySelectorAll('#decisive svg.chart')].map((svg) => {
  const line = svg.querySelector('path.line');
  const d = line ? line.getAttribute('d') : '';
  const runs = d.split('M').filter((r) => r.trim() !== '').map((r) =>
    r.trim().split(/ L/).map((p) => Number(p.trim().split(',')[0])));
  return {
    title: svg.querySelector('.title').textContent,
    bands: svg.querySelectorAll('path.band').length,
    lineRuns: runs.length,
    runs,
    gaps: [...svg.querySelectorAll('rect.gap')].map((r) =>
      ({ x: Number(r.getAttribute('x')), width: Number(r.getAttribute('width')) })),
    limits: [...svg.querySelectorAll('text.legend')].map((t) => t.textContent),
    width: svg.getBoundingClientRect().width,
  };
})`;

describe('gate HTML report: decisive numbers with intervals over time, gaps as gaps (headless Chromium)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let tmp: ReturnType<typeof makeTempDir>;
  before(async function () {
    browser = await launchChromium(this);
    tmp = makeTempDir('gate-decisive-');
  });
  after(async () => {
    await browser?.close();
    tmp?.remove();
  });

  it('draws each decisive number with its band against its limit, and no line across the 44 h hole', async () => {
    const file = path.join(tmp.dir, 'report.html');
    await fs.writeFile(file, gateHtml(gateReportFixture()));
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const problems: string[] = [];
    page.on('console', (m) => problems.push(`console ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const charts = (await page.evaluate(READ_CHARTS)) as ChartView[];
    expect(charts.map((c) => c.title)).to.deep.equal([
      'Gone dark, release minus production, with its interval',
      'Crash-loop fallback share, with its interval',
    ]);
    for (const chart of charts) {
      expect(chart.width, chart.title).to.be.greaterThan(300);
      expect(chart.bands, chart.title).to.equal(1);
      expect(chart.lineRuns, chart.title).to.equal(2); // one run before the hole, one after
      expect(chart.gaps, chart.title).to.have.length(1);
      const [gap] = chart.gaps;
      expect(gap.width).to.be.greaterThan(100); // 44 of 96 hours
      for (const run of chart.runs) {
        const crosses = run.some((x, i) => i > 0 && run[i - 1] <= gap.x && x >= gap.x + gap.width);
        expect(crosses, `${chart.title}: a line crosses the gap`).to.equal(false);
      }
      expect(chart.limits.some((t) => t === 'no scans')).to.equal(true);
    }
    expect(charts[0].limits).to.include('margin 2%');
    expect(charts[1].limits).to.include('ceiling 3%');
    const facts = (await page.evaluate(`({
      estimates: document.querySelector('#estimates')?.innerText,
      gaps: document.querySelector('#gaps')?.innerText,
      age: document.querySelector('#age')?.textContent,
      superseded: document.querySelector('#superseded')?.innerText,
      scripts: document.querySelectorAll('script, img').length,
      scrollWidth: document.documentElement.scrollWidth,
    })`)) as Record<string, string | number>;
    expect(facts.estimates).to.match(
      /gone dark, release minus production\s+\+0\.40% \[-?[\d.]+%, \+[\d.]+%\] \(margin 2\.00%\)/,
    );
    expect(facts.gaps).to.contain('2026-01-02T06:00:00.000Z\t2026-01-04T02:00:00.000Z\t44');
    expect(facts.age).to.equal('5.5 h');
    expect(facts.superseded).to.match(/^Superseded by 9\.9\\u001b\[31m<script>/);
    expect(facts.scripts).to.equal(0);
    expect(facts.scrollWidth).to.be.at.most(1366);
    expect(problems).to.deep.equal([]);
    await page.close();
  });
});
