import { expect } from 'chai';
import { historyKind } from '../../../src/gate/history/history';
import { dbNameFromUrl } from '../../../src/state/mongoConnect';
import { storeKind } from '../../../src/state/storeUrl';

describe('store and history URLs (src/state/storeUrl.ts, mongoConnect.ts)', function () {
  it('--history and --store say the same about a URL, and never echo its password', function () {
    for (const url of ['mongodb://admin:S3c ret@h:1/db', 'mongodb://admin:S3c@ret@h:1/db', 'http://u:S3cr3t@h/']) {
      for (const check of [() => historyKind(url, '--history'), () => storeKind(url)]) {
        let message = '';
        try {
          check();
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message, url).to.match(/^Expected `--(history|store)` to be .*, got '/);
        expect(message, url).to.not.match(/S3c|ret@h/);
      }
    }
  });

  it('names the kinds it takes', function () {
    expect(historyKind('file:/tmp/h.log', '--record')).to.equal('file');
    expect(historyKind('mongodb://127.0.0.1:27017/fluxos_preprod', '--history')).to.equal('mongodb');
    expect(() => historyKind('file:', '--record')).to.throw(/^Expected `--record` to be file:PATH/);
  });

  it("reads a URL's database, and gives none for malformed escapes instead of throwing", function () {
    expect(dbNameFromUrl('mongodb://h:1/fluxos%5Fpreprod?x=1')).to.equal('fluxos_preprod');
    expect(dbNameFromUrl('mongodb://h:1')).to.equal(null);
    expect(dbNameFromUrl('mongodb://h:1/bad%E0%A4%A')).to.equal(null);
  });
});
