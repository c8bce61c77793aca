/**
 * The charts of the HTML report: first the decisive numbers over time, each
 * with its interval as a band against the line it is judged by (the dark
 * difference against the margin, the fallback share against the ceiling),
 * then the fleet as the scans saw it (preprod share, uptake, crash-loops,
 * availability by cohort). Stretches without scans are shaded and no line is
 * drawn across them. Pure.
 */
import type { GateReport } from '../judge/gate';
import { gapsIn, lineChart, thin, type TimeGap } from './svg';
import type { TimelinePoint } from './timeline';

type ScanPoint = NonNullable<GateReport['scanTimeline']>[number];

const percent = (v: number) => `${Math.round(v * 1000) / 10}%`;

function gapsOf(report: GateReport, times: readonly string[]): TimeGap[] {
  return report.gaps && report.gaps.length > 0 ? report.gaps : gapsIn(times);
}

function markerOf(report: GateReport): { at: string; label: string } | undefined {
  const reached = report.reachedAt ?? report.evidence.reachedAt;
  return reached === null ? undefined : { at: reached, label: 'reached preprod' };
}

/** The two decisive numbers with their intervals, when the judge gave a timeline. */
export function decisiveCharts(report: GateReport): string[] {
  const points: TimelinePoint[] = thin(report.timeline ?? []);
  if (points.length === 0) return [];
  const times = points.map((p) => p.at);
  const gaps = gapsOf(report, times);
  const pick = (f: (p: TimelinePoint) => number | null | undefined) => points.map((p) => f(p) ?? null);
  const margin = points[points.length - 1].darkMargin;
  const ceiling = points[points.length - 1].fallbackCeiling;
  const darkLows = pick((p) => p.darkDifference?.low).filter((v): v is number => v !== null);
  const darkHighs = pick((p) => p.darkDifference?.high).filter((v): v is number => v !== null);
  const dark = lineChart({
    title: 'Gone dark, release minus production, with its interval',
    times,
    gaps,
    marker: markerOf(report),
    yMin: Math.min(-margin, ...darkLows),
    yMax: Math.max(2 * margin, ...darkHighs),
    format: percent,
    limits: [
      { value: margin, label: `margin ${percent(margin)}` },
      { value: 0, label: '0' },
    ],
    series: [
      {
        label: 'difference',
        color: '#0969da',
        values: pick((p) => p.darkDifference?.estimate),
        band: { low: pick((p) => p.darkDifference?.low), high: pick((p) => p.darkDifference?.high) },
      },
    ],
  });
  const fallHighs = pick((p) => p.fallbackShare?.high).filter((v): v is number => v !== null);
  const fallback = lineChart({
    title: 'Crash-loop fallback share, with its interval',
    times,
    gaps,
    marker: markerOf(report),
    yMin: 0,
    yMax: Math.max(2 * ceiling, ...fallHighs),
    format: percent,
    limits: [{ value: ceiling, label: `ceiling ${percent(ceiling)}` }],
    series: [
      {
        label: 'fallback share',
        color: '#cf222e',
        values: pick((p) => p.fallbackShare?.estimate),
        band: { low: pick((p) => p.fallbackShare?.low), high: pick((p) => p.fallbackShare?.high) },
      },
    ],
  });
  return [dark, fallback];
}

/** The fleet as each scan saw it. */
export function scanCharts(report: GateReport): string[] {
  const points: ScanPoint[] = thin(report.scanTimeline ?? []);
  const times = points.map((p) => p.at);
  const gaps = gapsOf(report, times);
  const marker = markerOf(report);
  const share = (pick: (p: ScanPoint) => number | null) => points.map(pick);
  // Scaled to the share seen (at least 20%), so 7% is not a flat line at the bottom.
  const topShare = Math.max(0.2, ...points.map((p) => (p.preprodShare ?? 0) * 1.25));
  return [
    lineChart({
      title: 'Preprod share of answering nodes',
      times,
      gaps,
      marker,
      yMax: Math.min(1, topShare),
      format: percent,
      series: [{ label: 'preprod share', color: '#0969da', values: share((p) => p.preprodShare) }],
    }),
    lineChart({
      title: 'Uptake of the release among preprod nodes',
      times,
      gaps,
      marker,
      yMax: 1,
      format: percent,
      series: [{ label: 'uptake', color: '#8250df', values: share((p) => p.uptake) }],
    }),
    lineChart({
      title: 'Nodes reporting a crash-loop fallback',
      times,
      gaps,
      marker,
      series: [{ label: 'crash-loop', color: '#cf222e', values: share((p) => p.crashLoops) }],
    }),
    lineChart({
      title: 'Availability by cohort (answering / asked)',
      times,
      gaps,
      marker,
      yMin: 0,
      yMax: 1,
      format: percent,
      series: [
        { label: 'preprod-selected', color: '#bf8700', values: share((p) => p.availability.selected) },
        { label: 'production', color: '#1a7f37', values: share((p) => p.availability.notSelected) },
      ],
    }),
  ];
}
