/**
 * A hand-made GateReport for the renderers (issue 17): every field the judge
 * may fill, and strings from "nodes" that try a terminal escape, Markdown
 * links, images, mentions, HTML and new lines. Built over a real (empty)
 * evaluation so it always has the report's current shape.
 */
import { evaluateHistory, type GateReport } from '../../src/gate/judge/gate';
import { defaultGateSettings } from '../../src/gate/judge/gateSettings';
import type { TimelinePoint } from '../../src/gate/report/timeline';

export const HOSTILE_TEXT =
  '9.9\u001b[31m<script>alert(1)</script> @everyone [x](https://evil.example) ' +
  '![i](http://e.example/i.png)\n# heading www.evil.example';

const START = Date.UTC(2026, 0, 1);
export const hourIso = (h: number) => new Date(START + h * 3_600_000).toISOString();

/** Hourly points from hour 0 to 96 with no scans from hour 30 to 74 (a 44 h hole). */
export function fixtureTimeline(margin = 0.02, ceiling = 0.03): TimelinePoint[] {
  const points: TimelinePoint[] = [];
  for (let h = 0; h <= 96; h += 1) {
    if (h > 30 && h < 74) continue;
    const width = 0.1 / Math.sqrt(h + 1);
    points.push({
      at: hourIso(h),
      darkDifference: { estimate: 0.004, low: 0.004 - width, high: 0.004 + width },
      darkMargin: margin,
      fallbackShare: h < 2 ? null : { estimate: 0.01, low: 0.002, high: 0.01 + width },
      fallbackCeiling: ceiling,
    });
  }
  return points;
}

export function gateReportFixture(overrides: Partial<GateReport> = {}): GateReport {
  const base = evaluateHistory([], { settings: defaultGateSettings() });
  const evidence = {
    ...base.evidence,
    at: hourIso(96),
    reachedAt: hourIso(0),
    hoursSinceReached: 96,
    preprodNodes: 120,
    nodeHours: 9000,
    dark: { release: { dark: 3, nodes: 120 }, baseline: { dark: 40, nodes: 1500 } },
    crashLoops: { count: 1, of: 120 },
    switchFailures: { count: 0, of: 120 },
    fellBack: [{ node: HOSTILE_TEXT, reason: 'crash-loop' as const, at: '2026-01-02T05:00:00+05:00' }],
  };
  return {
    ...base,
    verdict: 'wait',
    note: null,
    release: { ...base.release, version: HOSTILE_TEXT, commit: 'c0ffee0123456789' },
    evidence,
    scans: 53,
    timeline: fixtureTimeline(),
    gaps: [{ from: hourIso(30), to: hourIso(74), hours: 44 }],
    lastScanAgeHours: 5.5,
    blocking: [
      { criterion: 'exposure.soak-hours', why: `watched 52 h of 72 h ${HOSTILE_TEXT}`, wouldChange: '20 more hours' },
    ],
    supersededBy: { version: HOSTILE_TEXT, commit: 'd00d', at: '2026-01-04T05:00:00+05:00', nodes: 9 },
    reachedAt: hourIso(0),
    darkNodes: [
      { failure: 'timeout', nodes: ['10.0.0.1:16127', '10.0.0.2:16127'] },
      { failure: HOSTILE_TEXT, nodes: [HOSTILE_TEXT] },
    ],
    warnings: [`a warning ${HOSTILE_TEXT}`],
    ...overrides,
  };
}
