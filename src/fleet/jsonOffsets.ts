/**
 * Finds where the entries of a JSON node list start in its text, so that a
 * problem with an entry can name its line. Pure. These scanners only walk
 * text that JSON.parse has already accepted, so they need no error handling.
 */

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

export function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i += 1;
  return i;
}

function skipString(text: string, i: number): number {
  i += 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipValue(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  if (text[i] === '[' || text[i] === '{') {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i);
        continue;
      }
      if (c === '[' || c === '{') depth += 1;
      else if (c === ']' || c === '}') {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
      i += 1;
    }
    return i;
  }
  while (i < text.length && !/[\s,\]}]/.test(text[i])) i += 1;
  return i;
}

export function elementOffsets(text: string, open: number): number[] {
  const offsets: number[] = [];
  let i = skipSpace(text, open + 1);
  if (text[i] === ']') return offsets;
  for (;;) {
    offsets.push(i);
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ',') return offsets;
    i = skipSpace(text, i + 1);
  }
}

/** Offset of the array under the top-level key `data` (the last one, as JSON.parse keeps the last duplicate). */
export function dataArrayOffset(text: string, open: number): number | undefined {
  let found: number | undefined;
  let i = skipSpace(text, open + 1);
  if (text[i] === '}') return undefined;
  for (;;) {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, skipSpace(text, keyEnd) + 1);
    if (key === 'data') found = text[i] === '[' ? i : undefined;
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ',') return found;
    i = skipSpace(text, i + 1);
  }
}
