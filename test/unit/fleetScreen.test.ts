import { expect } from 'chai';
import { screenNodeList, type Lookup } from '../../src/fleet/screen';
import type { Target } from '../../src/fleet/targets';

const t = (host: string, port = 16127): Target => ({ host, port });

/** A resolver from a table: what a name resolves to is the test's choice, never the network's. */
function tableLookup(table: Record<string, string[] | Error | 'never'>, asked: string[] = []): Lookup {
  return async (host) => {
    asked.push(host);
    const entry = table[host];
    if (entry === 'never') return new Promise<string[]>(() => {});
    if (entry instanceof Error) throw entry;
    return entry ?? [];
  };
}

describe('fleet screenNodeList', () => {
  it('drops and counts entries that point inward, keeps public ones in order', async () => {
    const targets = [
      t('8.8.8.8'),
      t('127.0.0.1'),
      t('10.0.0.1', 1),
      t('::ffff:192.168.0.1'),
      t('1.1.1.1'),
      t('169.254.169.254'),
      t('ff02::1'),
    ];
    const result = await screenNodeList(targets, { lookup: tableLookup({}) });
    expect(result.targets).to.deep.equal([t('8.8.8.8'), t('1.1.1.1')]);
    expect(result.dropped.total).to.equal(5);
    expect({ ...result.dropped.byScope }).to.deep.equal({ loopback: 1, private: 2, 'link-local': 1, multicast: 1 });
  });

  it('resolves each name once and scans a kept name at the address it checked', async () => {
    const asked: string[] = [];
    const lookup = tableLookup({ 'good.example': ['9.9.9.9'], 'inward.example': ['9.9.9.9', '127.0.0.1'] }, asked);
    const targets = [t('good.example'), t('good.example', 1), t('inward.example'), t('gone.example')];
    const result = await screenNodeList(targets, { lookup });
    expect(result.targets).to.deep.equal([
      { host: 'good.example', port: 16127, address: '9.9.9.9' },
      { host: 'good.example', port: 1, address: '9.9.9.9' },
    ]);
    expect({ ...result.dropped.byScope }).to.deep.equal({ loopback: 1, unresolved: 1 });
    expect(asked.sort()).to.deep.equal(['gone.example', 'good.example', 'inward.example']);
  });

  it('counts a name whose lookup fails or never ends as unresolved', async () => {
    const lookup = tableLookup({ 'error.example': new Error('ENOTFOUND'), 'slow.example': 'never' });
    const result = await screenNodeList([t('error.example'), t('slow.example')], { lookup, timeoutMs: 20 });
    expect(result.targets).to.deep.equal([]);
    expect({ ...result.dropped.byScope }).to.deep.equal({ unresolved: 2 });
  });

  it('keeps everything, unresolved, with allowPrivate', async () => {
    const asked: string[] = [];
    const targets = [t('127.0.0.1'), t('localhost'), t('10.0.0.1')];
    const result = await screenNodeList(targets, { allowPrivate: true, lookup: tableLookup({}, asked) });
    expect(result.targets).to.deep.equal(targets);
    expect(result.dropped.total).to.equal(0);
    expect(asked).to.deep.equal([]);
  });
});
