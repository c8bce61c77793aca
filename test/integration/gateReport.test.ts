/**
 * The gate's reports as people read them: the HTML report opened in a real
 * headless browser (Debian's /usr/bin/chromium driven by playwright-core),
 * the Markdown report rendered by a Markdown library. The judged release's
 * version is hostile markup, which both must show as text.
 */
import { expect } from 'chai';

import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { marked } from 'marked';
import type { NodeResult } from '../../src/fleet/scan';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { observe } from '../../src/gate/history/observation';
import { buildScan } from '../../src/gate/history/scanRecord';
import { describeRun, runCli } from '../support/cli';
import { launchChromium } from '../support/headlessChromium';
import { makeTempDir } from '../support/tmp';

const HOSTILE = '2.0<script>alert(1)</script><img src=x onerror=alert(2)>';
const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();

/** 300 nodes for 30 hours; the 100 selected ones take the release at hour 2, and 10 of them crash-loop from hour 4. */
async function writeHistory(file: string): Promise<void> {
  const history = new FileHistory(file);
  for (let h = 0; h < 30; h += 1) {
    const results: NodeResult[] = Array.from({ length: 300 }, (_, i) => {
      const base = { host: `10.0.${i >> 8}.${i & 255}`, port: 16127, ms: 1, probability: 1 / 3, draw: (i + 0.5) / 300 };
      if (i >= 100) return { ...base, kind: 'production', version: '1.0', reason: 'not-selected' };
      if (i % 10 === 0 && h >= 4) return { ...base, kind: 'production', version: '1.0', reason: 'crash-loop' };
      const version = h >= 2 ? HOSTILE : '1.5';
      return { ...base, kind: 'preprod', version, commit: 'c0ffee1234', reason: 'selected' };
    });
    await history.append((tail) => buildScan(tail.table, results.map(observe), hour(h), tail.seq + 1));
  }
}

describe('gate reports', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof makeTempDir>;
  let store: string;
  before(async () => {
    tmp = makeTempDir('gate-report-');
    store = `file:${path.join(tmp.dir, 'h.log')}`;
    await writeHistory(path.join(tmp.dir, 'h.log'));
  });
  after(() => tmp.remove());

  describe('--html FILE in a headless browser', () => {
    let browser: Browser;
    before(async function () {
      browser = await launchChromium(this);
    });
    after(async () => browser?.close());

    it('renders without console errors or requests, each chart has a size, and it fits a laptop screen', async () => {
      const file = path.join(tmp.dir, 'report.html');
      const run = await runCli(['gate', '--history', store, '--html', file]);
      expect(run.code, describeRun(run)).to.equal(1);
      expect(run.stdout).to.equal(`halt: report written to ${file}\n`);
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning')
          problems.push(`console ${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('dialog', (dialog) => problems.push(`dialog: ${dialog.message()}`));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) problems.push(`request: ${request.url()}`);
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // Evaluated in the page; written as text because this package compiles without the DOM's types.
      const charts = (await page.evaluate(`[...document.querySelectorAll('svg.chart')].map((svg) => {
        const box = svg.getBoundingClientRect();
        const decisive = svg.closest('#decisive') !== null;
        return { width: box.width, height: box.height, lines: svg.querySelectorAll('path').length, decisive };
      })`)) as { width: number; height: number; lines: number; decisive: boolean }[];
      // Four charts of the fleet as scanned, and one per decisive number when the judge gives their timeline.
      expect(charts.filter((c) => !c.decisive)).to.have.length(4);
      expect(charts.filter((c) => c.decisive).length).to.be.oneOf([0, 2]);
      for (const chart of charts) {
        expect(chart.width).to.be.greaterThan(300);
        expect(chart.height).to.be.greaterThan(100);
        expect(chart.lines).to.be.greaterThan(0);
      }
      const layout = (await page.evaluate(`({
        scrollWidth: document.documentElement.scrollWidth,
        scripts: document.querySelectorAll('script, img').length,
        title: document.title,
        halt: document.querySelector('.verdict')?.textContent,
      })`)) as { scrollWidth: number; scripts: number; title: string; halt: string };
      expect(layout.scrollWidth).to.be.at.most(1366);
      expect(layout.scripts).to.equal(0);
      expect(layout.title).to.contain(HOSTILE);
      expect(layout.halt).to.equal('HALT');
      expect(await page.locator('text=crash-loop').count()).to.be.greaterThan(0);
      expect(problems).to.deep.equal([]);
      await page.close();
    });
  });

  it('--markdown renders as tables (criteria, counts, nodes that fell back), with no markup from a node', async () => {
    const run = await runCli(['gate', '--history', store, '--markdown']);
    expect(run.code, describeRun(run)).to.equal(1);
    const html = await marked.parse(run.stdout);
    expect(html.match(/<table>/g)).to.have.length(4);
    expect(html).to.match(
      /<td>crash-loop fallback share<\/td>\s*<td>\d+\.\d\d% \[[\d.]+%, [\d.]+%\] \(ceiling [\d.]+%\)<\/td>/,
    );
    expect(html).to.match(/<td><code>health\.crash-loop\.lower<\/code><\/td>\s*<td>HALT<\/td>/);
    expect(html).to.match(/<td>10\.0\.0\.0:16127<\/td>\s*<td>crash-loop<\/td>/);
    expect(html).to.not.match(/<script|<img/);
    expect(html).to.contain('2.0&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
