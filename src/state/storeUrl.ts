/**
 * The CLI-style store URL: its default and which kind of store it names. Pure, and apart from the store
 * adapters so that a command can show the default in its help without loading them.
 */
import { PreprodError } from '../errors';
import { describeValue, quoted, redact } from '../text';

export const DEFAULT_STORE_URL = 'mongodb://127.0.0.1:27017/zelfluxlocal';

/** Which kind of store a CLI-style URL names; throws a usage error for anything else. Pure. */
export function storeKind(url: string): 'file' | 'mongodb' {
  return urlKind(url, 'Expected `--store` to be mongodb://host:port[/db] or file:PATH');
}

/**
 * Which kind of `file:PATH` or `mongodb://…` URL `url` is, for any option that takes one (`--store`,
 * `--history`, `--record`); `expected` starts the usage error for anything else. Never echoes credentials: the
 * URL is shown without its userinfo (up to the last '@'). Pure.
 */
export function urlKind(url: string, expected: string): 'file' | 'mongodb' {
  if (typeof url !== 'string') throw new PreprodError('usage', `${expected}, got ${describeValue(url)}.`);
  if (url.startsWith('file:') && url.length > 'file:'.length && !url.includes('\0')) return 'file';
  const shown = quoted(redact(url), 60);
  if (/^mongodb(\+srv)?:\/\/[^\s]+$/.test(url)) {
    // Drivers split userinfo at the first '@' and would connect to a host made of the password's tail.
    if (url.split('@').length > 2) {
      throw new PreprodError('usage', `${expected}, with '@' in a user name or password written as %40, got ${shown}.`);
    }
    return 'mongodb';
  }
  throw new PreprodError('usage', `${expected}, got ${shown}.`);
}
