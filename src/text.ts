/**
 * The one module that puts untrusted values into messages (docs/design.md §8: one clear
 * sentence, never a secret, never a raw control character). One quoting style everywhere:
 * a string shown after "got" is in single quotes, escaped and cut short. Pure: no I/O.
 */

/** Longest quoted value shown in a message; a 10 MB string must not become a 10 MB log line. */
const MAX_SHOWN_CHARS = 40;
/** Longest file path shown in a message; a path of 100 KB must not become a 100 KB error. */
const MAX_SHOWN_PATH_CHARS = 200;

// C0/C1 controls, line/paragraph separators, bidi overrides and lone surrogates:
// anything that could break a log line or disguise the text around it.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;
const CONTROL_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
// Inside quotes a backslash or quote from the value must not read as our own syntax.
const QUOTED_ESCAPES: Record<string, string> = { ...CONTROL_ESCAPES, '\\': '\\\\', "'": "\\'" };

function escapeChar(ch: string, escapes: Record<string, string>): string {
  const short = escapes[ch];
  if (short !== undefined) return short;
  if (UNPRINTABLE.test(ch)) return `\\u${(ch.codePointAt(0) as number).toString(16).padStart(4, '0')}`;
  return ch;
}

/**
 * `text` with unprintable characters escaped, cut to `max` characters plus an
 * ellipsis. `quoted` also escapes backslashes and single quotes, for text shown in '...'.
 */
export function escapeText(text: string, max = Infinity, quoted = false): string {
  const escapes = quoted ? QUOTED_ESCAPES : CONTROL_ESCAPES;
  // Slice before splitting into code points so a huge string costs nothing.
  const head = Number.isFinite(max) && text.length > 2 * max + 2 ? text.slice(0, 2 * max + 2) : text;
  const chars = Array.from(head);
  const shown = chars
    .slice(0, max)
    .map((ch) => escapeChar(ch, escapes))
    .join('');
  return chars.length > max ? `${shown}…` : shown;
}

/** A string as it appears after "got": single quotes, escaped, at most `max` characters. */
export function quoted(text: string, max = MAX_SHOWN_CHARS): string {
  return `'${escapeText(text, max, true)}'`;
}

/** A file path inside a one-line message: escaped, and when very long, its start and its end (the file name). */
export function shownPath(file: string): string {
  const max = MAX_SHOWN_PATH_CHARS;
  const cut = file.length > 4 * max ? `${file.slice(0, max)}${file.slice(-max)}` : file;
  const text = escapeText(cut);
  return text.length <= max ? text : `${text.slice(0, 60)}…${text.slice(-(max - 61))}`;
}

/** A value as it appears after "got" in a validation message: quoted, truncated, never multi-line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
      return 'an object';
  }
}

/** Plain objects (object literals, JSON, null-prototype records); not arrays, Dates or class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  // Accepts objects from another realm (vm, a host's sandbox), whose Object.prototype differs.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** A short reason for a failed file-system call, without the path Node puts in its message. */
export function fsErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a parent of it is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default: {
      if (typeof code === 'string') return code;
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error).split('\n')[0];
      return escapeText(redactUrls(message.replace(/\.+$/, '')), 100);
    }
  }
}

/**
 * Why JSON.parse failed, without the file's content: V8 either gives a position
 * ("... in JSON at position N") or echoes a slice of the input ("Unexpected token 'x',
 * ..."<input>"... is not valid JSON"); only the parts that cannot carry content are kept,
 * because the file may hold secrets (or be a symlink to one).
 */
export function jsonErrorReason(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : '';
  const positioned = /^([^"]*?) (?:in|after) JSON at position (\d+)/s.exec(message);
  if (positioned) {
    const before = text.slice(0, Number(positioned[2])).split('\n');
    const line = before.length;
    const column = before[before.length - 1].length + 1;
    return `invalid JSON at line ${line}, column ${column} (${escapeText(positioned[1], 80)})`;
  }
  if (/^Unexpected token /.test(message)) return 'invalid JSON (an unexpected character)';
  if (message === 'Unexpected end of JSON input') return 'invalid JSON (it ends too early)';
  return 'invalid JSON';
}

/**
 * A URL without its credentials: everything between `//` and the LAST `@` is replaced
 * (a password may itself hold `@`, `/`, `?` or `#`; over-masking a host is harmless, a leaked
 * password is not). Also masks a `password=` query parameter.
 */
export function redact(url: string): string {
  const start = url.indexOf('//');
  if (start === -1) return maskPasswordParameter(url);
  const at = url.lastIndexOf('@');
  const masked = at > start ? `${url.slice(0, start + 2)}***${url.slice(at)}` : url;
  return maskPasswordParameter(masked);
}

function maskPasswordParameter(text: string): string {
  return text.replace(/([?&](?:password|pass|pwd)=)[^&\s]*/gi, '$1***');
}

// scheme://… up to whitespace: the stretch of text a credential may hide in.
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/\S*/gi;

/** Every URL in free text (a driver's error, a log line) with its credentials removed, as redact() does. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redact(url));
}
