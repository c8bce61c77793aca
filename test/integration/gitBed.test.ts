import { expect } from 'chai';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createGitBed, GitBed } from '../support/gitBed';

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

describe('git test bed', () => {
  const beds: GitBed[] = [];
  const bed = async (options?: Parameters<typeof createGitBed>[0]): Promise<GitBed> => {
    const created = await createGitBed(options);
    beds.push(created);
    return created;
  };

  afterEach(async () => {
    await Promise.all(beds.splice(0).map((b) => b.cleanup()));
  });

  it('builds master at 1.0.0 and preprod at 1.1.0, preprod containing master', async () => {
    const b = await bed();
    const master = await b.masterTip();
    const preprod = await b.preprodTip();
    expect(JSON.parse(await b.git(b.upstream, 'show', `${master}:package.json`)).version).to.equal('1.0.0');
    expect(JSON.parse(await b.git(b.upstream, 'show', `${preprod}:package.json`)).version).to.equal('1.1.0');
    expect(await b.git(b.upstream, 'merge-base', master, preprod)).to.equal(master);
    expect(await b.git(b.upstream, 'rev-list', '--count', `${master}..${preprod}`)).to.equal('2');
  });

  it('clones a node checkout on master with an ignored userconfig.js', async () => {
    const b = await bed();
    const node = await b.cloneNode('alpha');
    expect(node).to.equal(path.join(b.dir, 'alpha'));
    expect(await b.git(node, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
    expect(await b.git(node, 'rev-parse', 'HEAD')).to.equal(await b.masterTip());
    const userconfig = await fs.readFile(path.join(node, 'config', 'userconfig.js'), 'utf8');
    expect(userconfig).to.include('"ipaddress": "127.0.0.1"');
    expect(await b.git(node, 'check-ignore', 'config/userconfig.js', 'node_modules/x/index.js')).to.equal(
      'config/userconfig.js\nnode_modules/x/index.js',
    );
    expect(await b.git(node, 'status', '--porcelain')).to.equal('');
  });

  it('clones on a given branch and rewrites userconfig on request', async () => {
    const b = await bed();
    const node = await b.cloneNode(undefined, { branch: 'preprod' });
    expect(await b.git(node, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    await b.writeUserconfig(node, { development: true, disablePreProd: true });
    const loaded = JSON.parse(JSON.stringify(require(path.join(node, 'config', 'userconfig.js'))));
    expect(loaded).to.deep.equal({ initial: { development: true, disablePreProd: true } });
  });

  const shapes: Array<{
    name: string;
    options: Parameters<typeof createGitBed>[0];
    preprodContainsMaster: boolean | null;
    ahead: number;
  }> = [
    { name: 'lagging', options: { lagging: true }, preprodContainsMaster: false, ahead: 2 },
    { name: 'noPreprod', options: { noPreprod: true }, preprodContainsMaster: null, ahead: 0 },
    { name: 'preprodAhead: 5', options: { preprodAhead: 5 }, preprodContainsMaster: true, ahead: 5 },
  ];
  for (const shape of shapes) {
    it(`builds the ${shape.name} shape`, async () => {
      const b = await bed(shape.options);
      const master = await b.masterTip();
      const preprod = await b.tip('preprod');
      if (shape.preprodContainsMaster === null) {
        expect(preprod).to.equal(null);
        return;
      }
      expect(preprod).to.match(/^[0-9a-f]{40}$/);
      const base = await b.git(b.upstream, 'merge-base', master, preprod as string);
      expect(base === master).to.equal(shape.preprodContainsMaster);
      expect(await b.git(b.upstream, 'rev-list', '--count', `${base}..${preprod}`)).to.equal(String(shape.ahead));
    });
  }

  it('adds extraFiles spread over directories, and packageJson overrides', async () => {
    const b = await bed({ extraFiles: 100, packageJson: { preprod: { version: '1.0.0', private: true } } });
    const node = await b.cloneNode();
    expect(await exists(path.join(node, 'lib', 'dir31', 'file99.js'))).to.equal(false);
    expect(await exists(path.join(node, 'lib', 'dir3', 'file99.js'))).to.equal(true);
    expect((await b.git(node, 'ls-files', 'lib')).split('\n')).to.have.length(100);
    const preprodPackage = JSON.parse(await b.git(b.upstream, 'show', 'preprod:package.json'));
    expect(preprodPackage).to.include({ version: '1.0.0', private: true });
  });

  it('advances and deletes upstream branches', async () => {
    const b = await bed();
    const before = await b.masterTip();
    const after = await b.commitTo('master', { 'package-lock.json': '{}\n', 'README.md': null }, 'Bump lockfile');
    expect(after).to.not.equal(before);
    expect(await b.masterTip()).to.equal(after);
    expect(await b.git(b.upstream, 'diff', '--name-only', before, after)).to.equal('README.md\npackage-lock.json');
    await b.deleteBranch('preprod');
    expect(await b.tip('preprod')).to.equal(null);
  });

  it('clones with a GitHub-style remote URL that fetches from the local upstream (insteadOf)', async () => {
    const b = await bed();
    const node = await b.cloneNode('gh', { remoteUrl: 'https://github.com/runonflux/flux' });
    expect(await b.git(node, 'config', '--get', 'remote.origin.url')).to.equal('https://github.com/runonflux/flux');
    const next = await b.commitTo('master', { 'app.js': "console.log('v2');\n" }, 'v2');
    await b.git(node, 'fetch', '--quiet', 'origin');
    expect(await b.git(node, 'rev-parse', 'refs/remotes/origin/master')).to.equal(next);
  });

  it('is reproducible: same options give the same commit ids', async () => {
    const [one, two] = await Promise.all([bed({ lagging: true }), bed({ lagging: true })]);
    expect(await one.preprodTip()).to.equal(await two.preprodTip());
    expect(await one.masterTip()).to.equal(await two.masterTip());
  });

  it('removes everything on cleanup', async () => {
    const b = await bed();
    await b.cloneNode();
    await b.cleanup();
    expect(await exists(b.dir)).to.equal(false);
    await b.cleanup();
  });
});
