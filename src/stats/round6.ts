/**
 * A figure rounded to 6 decimal places. Margins computed from shares and the bounds shown beside them are
 * rounded once, here, so that a threshold prints and compares the same in every report (0.02, not
 * 0.020000000000000004) and JSON consumers see the figures the text shows. Pure.
 */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
