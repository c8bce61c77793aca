import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '../support/tmp';

/** tools/lint/cycles.js is plain JavaScript run by `npm run lint`; the test loads it from the package root. */
interface CycleChecker {
  findCycles(dir: string, base?: string): { lines: string[]; files: number };
}
// build/test/unit → the package root.
const root = path.resolve(__dirname, '../../..');
const checker = require(path.join(root, 'tools/lint/cycles.js')) as CycleChecker;

function treeOf(files: Record<string, string>): { dir: string; remove: () => void } {
  const tree = makeTempDir('fluxos-preprod-cycles-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tree.dir, name)), { recursive: true });
    writeFileSync(path.join(tree.dir, name), text);
  }
  return tree;
}

function cyclesIn(files: Record<string, string>): string[] {
  const tree = treeOf(files);
  try {
    return checker.findCycles(tree.dir, tree.dir).lines;
  } finally {
    tree.remove();
  }
}

describe('no import cycle in src/ (tools/lint/cycles.js)', function () {
  it('finds none in src/ as it is', function () {
    const { lines, files } = checker.findCycles(path.join(root, 'src'), root);
    expect(files).to.be.greaterThan(50);
    expect(lines).to.deep.equal([]);
  });

  it('names a two-file cycle made of a type-only import, from the first file back to it', function () {
    const lines = cyclesIn({
      'a.ts': "import type { B } from './b';\nexport interface A { b: B }\n",
      'b.ts': "import { type A } from './a';\nexport interface B { a?: A }\n",
    });
    expect(lines).to.deep.equal(['cycle: a.ts -> b.ts -> a.ts']);
  });

  it('follows re-exports and folder indexes, and says how many files a larger knot holds', function () {
    const lines = cyclesIn({
      'boot/steps.ts':
        "import { choose } from './choose';\nimport type { Finish } from '../types/finish';\n" +
        'export const steps: Finish | number = choose;\n',
      'boot/choose.ts': "import { persist } from './persist';\nexport const choose = persist;\n",
      'boot/persist.ts': "export type { Planned } from '../types';\nexport const persist = 1;\n",
      'types/index.ts': "import type { steps } from '../boot/steps';\nexport type Planned = typeof steps;\n",
      'types/finish.ts': "import type { Planned } from './index';\nexport type Finish = Planned;\n",
    });
    expect(lines).to.deep.equal([
      'cycle: boot/choose.ts -> boot/persist.ts -> types/index.ts -> boot/steps.ts -> boot/choose.ts' +
        ' (5 files in the knot)',
    ]);
  });

  it('counts no dynamic import(), no package and no import written in a string or a comment', function () {
    const lines = cyclesIn({
      'a.ts': "import 'node:fs';\n// import { b } from './b';\nexport const load = () => import('./b');\n",
      'b.ts': "import { load } from './a';\nexport const text = \"import { load } from './b'\";\nvoid load;\n",
    });
    expect(lines).to.deep.equal([]);
  });
});
