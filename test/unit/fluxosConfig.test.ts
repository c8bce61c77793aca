/** FluxOS's preProd block, read from a default.js without running it (docs/design.md §8). */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FLUXOS_CONFIG_FILE, preProdFragment, readFluxosPreProd } from '../../src/config/fluxosConfig';
import { readSettings } from '../../src/config/settings';
import { staticExports } from '../../src/config/userconfigLiteral';
import { caught } from '../support/caught';
import { fluxosDefaultJs } from '../support/fluxosConfigJs';

const BLOCK = `  preProd: {
    probability: 1,
    remote: 'https://github.com/RunOnFlux/flux.git',
    branch: 'preprod',
    productionBranch: 'master',
    daysToNextEval: 30,
  },`;

describe("FluxOS's preProd block (ZelBack/config/default.js)", function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fluxos-preprod-fluxosconfig-'));
    mkdirSync(path.join(dir, 'ZelBack', 'config'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => writeFileSync(path.join(dir, FLUXOS_CONFIG_FILE), text);

  it('reads the block of a FluxOS-shaped file (code elsewhere in it is never run) into the settings', function () {
    write(fluxosDefaultJs(BLOCK));
    const fluxos = readFluxosPreProd(dir);
    expect(fluxos).to.deep.equal({
      preProd: {
        probability: 1,
        remote: 'https://github.com/RunOnFlux/flux.git',
        branch: 'preprod',
        productionBranch: 'master',
        daysToNextEval: 30,
      },
    });
    expect(readSettings({ fluxos }).preProd.probability).to.equal(1);
  });

  it('a --config file still wins over the block', function () {
    write(fluxosDefaultJs(BLOCK));
    const config = path.join(dir, 'override.json');
    writeFileSync(config, '{"preProd":{"probability":0.2}}');
    expect(readSettings({ fluxos: readFluxosPreProd(dir), configFile: config }).preProd.probability).to.equal(0.2);
  });

  it('no file (not a FluxOS checkout) or no block: nothing, the package defaults', function () {
    expect(readFluxosPreProd(dir)).to.equal(undefined);
    write(fluxosDefaultJs(''));
    expect(readFluxosPreProd(dir)).to.equal(undefined);
  });

  const bad = [
    {
      name: 'a computed probability',
      block: '  preProd: { probability: Number(process.env.P) },',
      says: /a function call/,
    },
    { name: 'a block from a variable', block: '  preProd: isDevelopment,', says: /a variable/ },
    { name: 'a block that is a number', block: '  preProd: 7,', says: /to be an object, got 7/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with one sentence (config-invalid), never a guess`, function () {
      write(fluxosDefaultJs(c.block));
      const error = caught(() => readFluxosPreProd(dir));
      expect(error).to.include({ kind: 'config-invalid' });
      expect(error.message).to.match(/^Cannot read the preProd block of .*default\.js: /);
      expect(error.message).to.match(c.says);
    });
  }

  it('refuses a file that is not a module.exports literal', function () {
    write('exports.preProd = { probability: 1 };\n');
    expect(caught(() => readFluxosPreProd(dir)).message).to.match(/Cannot read the preProd block/);
    expect(caught(() => preProdFragment(staticExports('module.exports = [1];'), 'x.js')).message).to.match(
      /not an object/,
    );
  });
});
