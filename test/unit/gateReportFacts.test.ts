/**
 * The renderers over a hand-made GateReport with every field the judge may
 * fill (issue 17, "reports a release manager can check"). The Markdown is
 * rendered by a real GFM library (marked) and read as HTML.
 */
import { expect } from 'chai';
import { marked } from 'marked';
import { gateHtml } from '../../src/gate/report/html';
import { gapsIn, lineChart } from '../../src/gate/report/svg';
import { gateMarkdown } from '../../src/gate/report/markdown';
import { formatGateText, gateJsonValue } from '../../src/gate/report/text';
import type { GateReport } from '../../src/gate/judge/gate';
import { gateReportFixture, HOSTILE_TEXT, hourIso } from '../support/gateReportFixture';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('gate reports over every field the judge fills', () => {
  const report = gateReportFixture();

  it('text: no control character reaches the terminal, no line is injected, every fact is shown', () => {
    const text = formatGateText(report);
    expect(text).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text.split('\n').filter((line) => line.startsWith('# heading'))).to.deep.equal([]);
    expect(text).to.contain('dark diff: +0.40% [');
    expect(text).to.contain('(margin 2.00%)');
    expect(text).to.contain('fallbacks: 1.00% [0.20%, ');
    expect(text).to.contain('last scan: 5.5 h old');
    expect(text).to.contain(
      `gap:       no scan from ${report.gaps?.[0].from} to ${report.gaps?.[0].to} (44.0 h, not counted)`,
    );
    expect(text).to.match(/dark now: {2}2 timeout, 1 9\.9\\u001b\[31m/);
    expect(text).to.contain('blocking:  exposure.soak-hours: watched 52 h of 72 h');
    expect(text).to.contain('superseded by 9.9\\u001b[31m');
    expect(text).to.contain('at 2026-01-04T00:00:00.000Z');
  });

  it('Markdown: no link, image, mention, HTML or heading from a node; shows every fact', async () => {
    const md = gateMarkdown(report);
    const html = await marked.parse(md);
    expect(html).to.not.match(/<a |<img|<script|<h1|<h2>[^P]/);
    expect(html).to.not.match(/@[A-Za-z0-9]/);
    expect(html).to.not.match(/https?:\/\//);
    expect(html).to.not.match(/\u001b/);
    expect(html).to.contain('<strong>Superseded</strong> by 9.9');
    expect(html).to.contain('at 2026-01-04T00:00:00.000Z');
    expect(html).to.contain('last scan 5.5 h old');
    expect(html).to.match(
      /<td>2026-01-02T06:00:00\.000Z<\/td>\s*<td>2026-01-04T02:00:00\.000Z<\/td>\s*<td align="right">44<\/td>/,
    );
    expect(html).to.match(/<td>exposure\.soak-hours<\/td>\s*<td>watched 52 h of 72 h/);
    expect(html).to.match(/<td>timeout<\/td>\s*<td align="right">2<\/td>/);
    expect(html).to.match(/<td>gone dark, release minus production<\/td>\s*<td>\+0\.40% \[/);
    expect(html).to.contain('<td>2026-01-02T00:00:00.000Z</td>'); // the fell-back time, canonical
    // The hostile text stays inside its cells: every table row has as many cells as its header.
    for (const table of html.split('<table>').slice(1)) {
      const head = (table.match(/<th[ >]/g) ?? []).length;
      for (const tr of table.split('<tbody>')[1].split('<tr>').slice(1))
        expect((tr.match(/<td[ >]/g) ?? []).length).to.equal(head);
    }
  });

  it('HTML: every string from a node is text, facts and the decisive charts are there', () => {
    const html = gateHtml(report);
    expect(html).to.not.match(/<script|<img|\u001b/);
    expect(html).to.contain('id="superseded"');
    expect(html).to.contain('id="gaps"');
    expect(html).to.contain('id="blocking"');
    expect(html).to.contain('id="dark"');
    expect(html).to.contain('id="decisive"');
    expect(html).to.contain('<span id="age">5.5 h</span>');
    expect((html.match(/class="gap"/g) ?? []).length).to.be.at.least(2);
  });

  it('JSON: counts, reached time, superseded-by, blocking, estimates and gaps, times canonical', () => {
    const json = JSON.parse(JSON.stringify(gateJsonValue(report)));
    expect(json.reachedAt).to.match(ISO);
    expect(json.judgedAt).to.match(ISO);
    expect(json.supersededBy).to.deep.equal({
      version: HOSTILE_TEXT,
      commit: 'd00d',
      at: '2026-01-04T00:00:00.000Z',
      nodes: 9,
    });
    expect(json.blocking).to.have.length(1);
    expect(json.counts).to.include({ releaseNodes: 120, releaseDark: 3, baselineNodes: 1500, baselineDark: 40 });
    expect(json.darkByFailure).to.deep.equal([
      { failure: 'timeout', count: 2 },
      { failure: HOSTILE_TEXT, count: 1 },
    ]);
    expect(json.estimates.darkDifference).to.include({ estimate: 0.004, margin: 0.02 });
    expect(json.lastScanAgeHours).to.equal(5.5);
    expect(json.gaps).to.deep.equal(report.gaps);
  });

  it('renders inconclusive in every form', async () => {
    const inconclusive = gateReportFixture({ verdict: 'inconclusive' as GateReport['verdict'] });
    expect(formatGateText(inconclusive)).to.match(/^verdict: {3}INCONCLUSIVE {2}\(inconclusive: /);
    expect(gateMarkdown(inconclusive)).to.match(/^## Preprod gate: ❔ INCONCLUSIVE\n/);
    expect(gateHtml(inconclusive)).to.contain('background:#6e7781">INCONCLUSIVE</span>');
    expect(gateJsonValue(inconclusive).verdict).to.equal('inconclusive');
  });

  it('without the judge’s extra fields the estimates come from the criteria and the counts', () => {
    const bounds: Record<string, number> = {
      'health.dark.upper': 0.03,
      'health.dark.lower': -0.01,
      'health.crash-loop.upper': 0.05,
      'health.crash-loop.lower': 0.001,
    };
    const base = gateReportFixture();
    const bare = gateReportFixture({
      criteria: base.criteria.map((c) => ({ ...c, value: bounds[c.name] ?? c.value })),
      timeline: undefined,
      gaps: undefined,
      blocking: undefined,
      supersededBy: undefined,
      darkNodes: undefined,
      lastScanAgeHours: undefined,
      warnings: undefined,
    });
    const { estimates } = gateJsonValue(bare) as { estimates: Record<string, Record<string, number>> };
    expect(estimates.darkDifference.estimate).to.be.closeTo(3 / 120 - 40 / 1500, 1e-12);
    expect(estimates.darkDifference).to.include({ low: -0.01, high: 0.03 });
    expect(estimates.fallbackShare.estimate).to.be.closeTo(1 / 120, 1e-12);
    expect(estimates.fallbackShare).to.include({ low: 0.001, high: 0.05 });
    expect(gateMarkdown(bare)).to.not.contain('Superseded');
  });
});

describe('gate report charts: gaps as gaps', () => {
  const times = [0, 1, 2, 3, 47, 48, 49].map(hourIso);

  it('finds a hole much longer than the usual step between scans, and nothing in steady scans', () => {
    expect(gapsIn(times)).to.deep.equal([{ from: hourIso(3), to: hourIso(47) }]);
    expect(gapsIn([0, 1, 2, 3, 4].map(hourIso))).to.deep.equal([]);
  });

  it('draws no line and no band across a hole, and shades it', () => {
    const values = times.map(() => 0.5);
    const svg = lineChart({
      title: 't',
      times,
      series: [
        { label: 's', color: '#000', values, band: { low: values.map(() => 0.4), high: values.map(() => 0.6) } },
      ],
    });
    const line = /<path d="([^"]+)" fill="none"[^>]*class="line"/.exec(svg)?.[1] ?? '';
    const band = /<path d="([^"]+)"[^>]*class="band"/.exec(svg)?.[1] ?? '';
    expect(line.match(/M/g)).to.have.length(2);
    expect(band.match(/M/g)).to.have.length(2);
    expect(svg.match(/class="gap"/g)).to.have.length(1);
  });
});
