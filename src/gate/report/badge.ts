/**
 * A small status badge (SVG) for a README, a dashboard or a pull request:
 * "preprod gate | promote" in the verdict's colour. Only fixed words: no
 * string from a node ever reaches it. Pure.
 */
import { type ShownVerdict, SHOWN_VERDICTS } from './facts';
import { VERDICT_COLORS } from './html';

/** What a badge can say: a verdict, or that there is none yet or the gate could not judge. */
export type BadgeState = ShownVerdict | 'none' | 'error';

const OTHER_COLORS = { none: '#8c959f', error: '#cf222e' } as const;
const LABEL = 'preprod gate';
/** Width of a character of 11px Verdana, near enough for these few fixed words. */
const CHAR_WIDTH = 7;

export function badgeState(verdict: string | null, failed: boolean): BadgeState {
  if (failed) return 'error';
  return SHOWN_VERDICTS.find((v) => v === verdict) ?? 'none';
}

export function gateBadge(state: BadgeState): string {
  const color = state === 'none' || state === 'error' ? OTHER_COLORS[state] : VERDICT_COLORS[state];
  const left = LABEL.length * CHAR_WIDTH + 10;
  const right = state.length * CHAR_WIDTH + 10;
  const width = left + right;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${LABEL}: ${state}">`,
    `<title>${LABEL}: ${state}</title>`,
    `<rect width="${left}" height="20" fill="#555"/>`,
    `<rect x="${left}" width="${right}" height="20" fill="${color}"/>`,
    '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">',
    `<text x="${left / 2}" y="14">${LABEL}</text>`,
    `<text x="${left + right / 2}" y="14">${state}</text>`,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
