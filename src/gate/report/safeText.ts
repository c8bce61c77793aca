/**
 * Strings from nodes or from the history (versions, commits, node names,
 * failure kinds, times) on their way into a report (issue 17): in a terminal
 * never an escape code, in Markdown never a link, image, mention, HTML or a
 * new line, in HTML never markup. Times are shown as canonical ISO. Pure.
 */
import { escapeText } from '../../text';

/** Longest string from a node shown in a report (the history caps fields at 200 characters). */
export const MAX_SHOWN = 200;

/** For a terminal or a log: controls, separators and bidi overrides escaped as `\uXXXX`, one line. */
export function terminalSafe(text: string, max = MAX_SHOWN): string {
  return escapeText(text, max);
}

/** Longest sentence shown (a sentence may quote a few strings from nodes). */
export const MAX_SENTENCE = 1200;

/**
 * For Markdown (a pull request, a job summary), also inside a table cell: the
 * text made one terminal-safe line, every character Markdown or HTML gives a
 * meaning written as an entity, and a zero-width space after `@` and inside
 * `://` and `www.`, so neither a mention nor an autolink can form.
 */
export function markdownSafe(text: string, max = MAX_SHOWN): string {
  return (
    terminalSafe(text, max)
      // `$` too: GitHub renders $…$ as math. No node string starts a line, so `-`, `=` and digits stay as they are.
      .replace(/[\\`*_{}[\]()#+!|<>~&$]/g, (ch) => `&#${ch.charCodeAt(0)};`)
      .replace(/@/g, '@\u200b')
      .replace(/:\/\//g, '\u200b://')
      .replace(/www\./gi, (w) => `${w.slice(0, 3)}\u200b.`)
  );
}

/** For HTML text and attribute values. */
export function htmlSafe(text: string, max = MAX_SHOWN): string {
  return terminalSafe(text, max).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A time as canonical ISO (`2026-01-01T00:00:00.000Z`); `fallback` when absent or not a time. */
export function isoTime(value: string | null | undefined, fallback = '–'): string {
  if (typeof value !== 'string') return fallback;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}
