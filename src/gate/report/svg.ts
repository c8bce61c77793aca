/**
 * Line charts as inline SVG for the HTML report: no script, no font, no
 * network. Time runs along x (one point per scan), values along y. Pure.
 */

export interface Series {
  label: string;
  color: string;
  /** One value per point of `times`; null where there is none (a gap). */
  values: readonly (number | null)[];
  /** An interval around each value, drawn as a shaded band (null where there is none). */
  band?: { low: readonly (number | null)[]; high: readonly (number | null)[] };
}

/** A stretch without scans: shaded, and no line is drawn across it. */
export interface TimeGap {
  from: string;
  to: string;
}

export interface ChartOptions {
  title: string;
  /** ISO times of the points. */
  times: readonly string[];
  series: readonly Series[];
  /** y range; the maximum defaults to the largest value (at least 1). */
  yMin?: number;
  yMax?: number;
  /** Formats a y tick, e.g. as a percentage. */
  format?: (value: number) => string;
  /** A dashed vertical line, e.g. where the release reached preprod. */
  marker?: { at: string; label: string };
  /** Horizontal lines a value is judged against, e.g. the margin or the ceiling. */
  limits?: readonly { value: number; label: string }[];
  /** Stretches without scans (default: found from the times, see gapsIn). */
  gaps?: readonly TimeGap[];
}

const WIDTH = 520;
const HEIGHT = 220;
const PAD = { left: 52, right: 12, top: 30, bottom: 34 };
/** More points than pixels only slow the browser down: keep at most this many per series. */
export const MAX_POINTS = 1000;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Every k-th point so that at most MAX_POINTS remain (the last one always kept). */
export function thin<T>(points: readonly T[]): T[] {
  if (points.length <= MAX_POINTS) return [...points];
  const step = Math.ceil(points.length / MAX_POINTS);
  const kept = points.filter((_, i) => i % step === 0);
  if ((points.length - 1) % step !== 0) kept.push(points[points.length - 1]);
  return kept;
}

/**
 * Stretches between two consecutive times longer than `factor` times the
 * median step (and at least `minHours`): a recorder that was down. Pure.
 */
export function gapsIn(times: readonly string[], factor = 3, minHours = 2): TimeGap[] {
  const ms = times.map((t) => Date.parse(t));
  const steps = ms.slice(1).map((t, i) => t - ms[i]);
  if (steps.length === 0) return [];
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)];
  const limit = Math.max(factor * median, minHours * 3_600_000);
  return steps.flatMap((step, i) => (step > limit ? [{ from: times[i], to: times[i + 1] }] : []));
}

/** For each point, whether a line from the point before it would cross a gap. */
function breaksOf(times: readonly string[], gaps: readonly TimeGap[]): boolean[] {
  const ranges = gaps.map((g) => [Date.parse(g.from), Date.parse(g.to)]);
  return times.map((t, i) => {
    if (i === 0) return false;
    const a = Date.parse(times[i - 1]);
    const b = Date.parse(t);
    return ranges.some(([from, to]) => from < b && to > a);
  });
}

/** Runs of consecutive drawable points: a null value or a gap ends a run. */
function runsOf(ys: readonly (number | null)[], breaks: readonly boolean[]): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  ys.forEach((y, i) => {
    if (breaks[i] || y === null || !Number.isFinite(y)) {
      if (run.length > 0) runs.push(run);
      run = [];
    }
    if (y !== null && Number.isFinite(y)) run.push(i);
  });
  if (run.length > 0) runs.push(run);
  return runs;
}

function pathOf(xs: readonly number[], ys: readonly (number | null)[], breaks: readonly boolean[]): string {
  return runsOf(ys, breaks)
    .map((run) =>
      run.map((i, k) => `${k === 0 ? 'M' : 'L'}${xs[i].toFixed(1)},${(ys[i] as number).toFixed(1)}`).join(' '),
    )
    .join(' ');
}

/** The band between low and high as one closed shape per run. */
function bandOf(
  xs: readonly number[],
  low: readonly (number | null)[],
  high: readonly (number | null)[],
  breaks: readonly boolean[],
): string {
  const both = low.map((l, i) => (l === null || high[i] === null ? null : l));
  return runsOf(both, breaks)
    .map((run) => {
      const top = run.map((i) => `${xs[i].toFixed(1)},${(high[i] as number).toFixed(1)}`);
      const bottom = [...run].reverse().map((i) => `${xs[i].toFixed(1)},${(low[i] as number).toFixed(1)}`);
      return `M${[...top, ...bottom].join(' L')} Z`;
    })
    .join(' ');
}

function day(iso: string): string {
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function text(x: number, y: number, anchor: string, content: string, cls = 'tick'): string {
  const at = `x="${x.toFixed(1)}" y="${y.toFixed(1)}"`;
  return `<text ${at} class="${cls}" text-anchor="${anchor}">${escapeXml(content)}</text>`;
}

interface Frame {
  x: (iso: string) => number;
  y: (value: number) => number;
  yMin: number;
  yMax: number;
  plotH: number;
}

function frameOf(options: ChartOptions): Frame {
  const n = options.times.length;
  const t0 = n > 0 ? Date.parse(options.times[0]) : 0;
  const t1 = n > 1 ? Date.parse(options.times[n - 1]) : t0 + 1;
  const finite = (vs: readonly (number | null)[]) => vs.filter((v): v is number => v !== null && Number.isFinite(v));
  const all = options.series.flatMap((s) => [...finite(s.values), ...finite(s.band?.high ?? [])]);
  const yMin = options.yMin ?? 0;
  const yMax = options.yMax ?? Math.max(1, ...all, ...(options.limits ?? []).map((l) => l.value));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  return {
    x: (iso) => PAD.left + ((Date.parse(iso) - t0) / (t1 - t0 || 1)) * plotW,
    y: (v) => PAD.top + plotH - ((v - yMin) / (yMax - yMin || 1)) * plotH,
    yMin,
    yMax,
    plotH,
  };
}

/** Grid lines with y ticks, the first and last time, and the marker. */
function axes(options: ChartOptions, f: Frame): string[] {
  const parts: string[] = [];
  const format = options.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  for (let k = 0; k <= 4; k += 1) {
    const v = f.yMin + ((f.yMax - f.yMin) * k) / 4;
    const gy = f.y(v).toFixed(1);
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${gy}" y2="${gy}" class="grid"/>`);
    parts.push(text(PAD.left - 6, f.y(v) + 4, 'end', format(v)));
  }
  const times = options.times;
  if (times.length > 0) {
    parts.push(text(f.x(times[0]), HEIGHT - 12, 'start', day(times[0])));
    parts.push(text(f.x(times[times.length - 1]), HEIGHT - 12, 'end', day(times[times.length - 1])));
  }
  if (options.marker && times.length > 0) {
    const mx = f.x(options.marker.at);
    parts.push(
      `<line x1="${mx.toFixed(1)}" x2="${mx.toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + f.plotH}" class="marker"/>`,
    );
    // At the foot of the line, clear of the title and the legend.
    parts.push(text(mx + 4, PAD.top + f.plotH - 6, 'start', options.marker.label));
  }
  return parts;
}

/** Shaded stretches without scans, labelled. */
function gapShades(gaps: readonly TimeGap[], f: Frame): string[] {
  return gaps.flatMap((g) => {
    const x0 = f.x(g.from);
    const x1 = f.x(g.to);
    const width = Math.max(1, x1 - x0).toFixed(1);
    const rect = `<rect x="${x0.toFixed(1)}" y="${PAD.top}" width="${width}" height="${f.plotH}" class="gap"/>`;
    return [rect, text((x0 + x1) / 2, PAD.top + f.plotH / 2, 'middle', 'no scans', 'legend')];
  });
}

function limitLines(options: ChartOptions, f: Frame): string[] {
  return (options.limits ?? []).flatMap((l) => {
    const y = f.y(l.value).toFixed(1);
    return [
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" class="limit"/>`,
      text(WIDTH - PAD.right - 4, f.y(l.value) - 4, 'end', l.label, 'legend'),
    ];
  });
}

export function lineChart(options: ChartOptions): string {
  const f = frameOf(options);
  const xs = options.times.map(f.x);
  const gaps = options.gaps ?? gapsIn(options.times);
  const breaks = breaksOf(options.times, gaps);
  const parts = [...gapShades(gaps, f), ...axes(options, f), ...limitLines(options, f)];
  const yOf = (vs: readonly (number | null)[]) =>
    vs.map((v) => (v === null ? null : f.y(Math.min(f.yMax, Math.max(f.yMin, v)))));
  options.series.forEach((s, i) => {
    if (s.band) {
      const band = bandOf(xs, yOf(s.band.low), yOf(s.band.high), breaks);
      if (band !== '')
        parts.push(`<path d="${band}" fill="${s.color}" fill-opacity="0.18" stroke="none" class="band"/>`);
    }
    const d = pathOf(xs, yOf(s.values), breaks);
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" class="line"/>`);
    const lx = PAD.left + 8 + i * 150;
    parts.push(`<rect x="${lx}" y="${PAD.top + 4}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(text(lx + 14, PAD.top + 13, 'start', s.label, 'legend'));
  });
  const title = escapeXml(options.title);
  const box = `viewBox="0 0 ${WIDTH} ${HEIGHT}"`;
  return [
    `<svg class="chart" ${box} role="img" aria-label="${title}" xmlns="http://www.w3.org/2000/svg">`,
    `<text x="${PAD.left}" y="18" class="title">${title}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${WIDTH - PAD.left - PAD.right}" height="${f.plotH}" class="frame"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
