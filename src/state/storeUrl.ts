/**
 * The CLI-style store URL: its default and which kind of store it names. Pure, and apart from the store
 * adapters so that a command can show the default in its help without loading them.
 */
import { PreprodError } from '../errors';

export const DEFAULT_STORE_URL = 'mongodb://127.0.0.1:27017/zelfluxlocal';

/** Which kind of store a CLI-style URL names; throws a usage error for anything else. Pure. */
export function storeKind(url: string): 'file' | 'mongodb' {
  if (typeof url === 'string' && url.startsWith('file:') && url.length > 'file:'.length && !url.includes('\0'))
    return 'file';
  if (typeof url === 'string' && /^mongodb(\+srv)?:\/\/[^\s]+$/.test(url)) return 'mongodb';
  const shown = typeof url === 'string' ? JSON.stringify(url.length > 60 ? `${url.slice(0, 60)}…` : url) : String(url);
  throw new PreprodError('usage', `Expected \`--store\` to be mongodb://host:port[/db] or file:PATH, got ${shown}.`);
}
