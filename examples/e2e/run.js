#!/usr/bin/env node
// The end-to-end run on real FluxOS (docs/development.md "The end-to-end run on real FluxOS").
//
//   npm run e2e -- <FluxOS checkout> [--work DIR] [--keep]
//   node examples/e2e/run.js <FluxOS checkout> [--work DIR] [--keep]
//
// <FluxOS checkout>: a clone of RunOnFlux/flux (master, v8.17.0 when written), e.g.
// `git clone /work/.mirror/RunOnFlux+flux/repo flux`. Needs root (for `unshare -n`), git, npm, and Go or a
// cached FerretDB build (tools/ferretdb). Exit 0 when every step passed, 1 when one failed, 2 bad usage.
//
// Outside the network namespace (the registry is reachable only here): the packed package, a test upstream
// (one root commit of the checkout's tree, the recipe applied, with master and preprod), the node's clone
// whose origin is the real GitHub URL redirected with git's url.<local>.insteadOf, FluxOS's own
// `npm install --omit=dev --legacy-peer-deps`, pm2, and the FerretDB binary. Then inside.js runs the steps in
// `unshare -n` (loopback only).
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { GIT_ENV } = require('./world');

const ROOT = path.resolve(__dirname, '../..');
/** pm2 as nodes install it (`npm install -g pm2`), pinned so runs compare. */
const PM2_SPEC = 'pm2@7.0.4';
const REAL_REMOTE = 'https://github.com/RunOnFlux/flux.git';

function usage(message) {
  if (message) process.stderr.write(`e2e: ${message}\n`);
  process.stderr.write('usage: npm run e2e -- <FluxOS checkout> [--work DIR] [--keep]\n');
  return 2;
}

function parseArgs(argv) {
  const args = { checkout: null, work: null, keep: false };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--keep') args.keep = true;
    else if (argv[i] === '--work' && i + 1 < argv.length) args.work = argv[(i += 1)];
    else if (argv[i].startsWith('-') || args.checkout !== null) return { error: `Unexpected argument ${argv[i]}.` };
    else args.checkout = argv[i];
  }
  if (args.checkout === null) return { error: 'Expected the path of a FluxOS checkout.' };
  return args;
}

function run(file, args, options = {}) {
  return execFileSync(file, args, { encoding: 'utf8', env: GIT_ENV, maxBuffer: 64 * 1024 * 1024, ...options });
}

function git(dir, ...args) {
  return run('git', ['-C', dir, ...args]).trim();
}

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** Times one preparation stage and prints it. */
function stage(name, job) {
  const started = Date.now();
  const result = job();
  say(`prep  ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

function packPackage(work) {
  const dest = path.join(work, 'pack');
  fs.mkdirSync(dest, { recursive: true });
  const out = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dest], { cwd: ROOT });
  return path.join(dest, out.trim().split('\n').pop());
}

function setVersion(dir, version) {
  const file = path.join(dir, 'package.json');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace(/^ {2}"version": "[^"]*",$/m, `  "version": "${version}",`));
}

/**
 * The test upstream: one root commit of the checkout's tree (the mirror lacks some historic blobs), the
 * recipe applied with the dependency pointed at the packed tarball, master and a preprod one version ahead.
 */
function buildUpstream(work, checkout, tarball) {
  const seed = path.join(work, 'seed');
  fs.mkdirSync(seed);
  const archive = spawnSync('git', ['-C', checkout, 'archive', 'HEAD'], { env: GIT_ENV, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive failed in ${checkout}: ${String(archive.stderr).trim()}`);
  run('tar', ['-x', '-C', seed], { input: archive.stdout, encoding: 'buffer' });
  const version = JSON.parse(fs.readFileSync(path.join(seed, 'package.json'), 'utf8')).version;
  git(seed, 'init', '-q', '-b', 'master');
  run(process.execPath, [path.join(ROOT, 'examples/apply-recipe.js'), 'fluxos', seed, '--dependency', `file:${tarball}`]);
  git(seed, 'add', '-A', '--force'); // FluxOS tracks files its .gitignore names (certs/), and needs them
  git(seed, 'commit', '-q', '-m', `FluxOS ${version} with the fluxos-preprod recipe`);
  const [major, minor] = version.split('.').map(Number);
  const preprodVersion = `${major}.${minor + 1}.0`;
  git(seed, 'checkout', '-q', '-b', 'preprod');
  setVersion(seed, preprodVersion);
  git(seed, 'commit', '-q', '-am', `FluxOS ${preprodVersion} on preprod`);
  git(seed, 'checkout', '-q', 'master');
  const upstream = path.join(work, 'upstream.git');
  run('git', ['clone', '-q', '--bare', seed, upstream]);
  return { upstream, seed, masterVersion: version, preprodVersion };
}

/** The node's checkout, where start.sh expects it (~/zelflux), origin the real URL redirected to the upstream. */
function cloneNode(work, upstream) {
  const home = path.join(work, 'home');
  const node = path.join(home, 'zelflux');
  fs.mkdirSync(home, { recursive: true });
  run('git', ['clone', '-q', upstream, node]);
  git(node, 'remote', 'set-url', 'origin', REAL_REMOTE);
  git(node, 'config', `url.${upstream}.insteadOf`, REAL_REMOTE);
  fs.copyFileSync(path.join(node, 'sampleUserConfig.js'), path.join(node, 'config/userconfig.js'));
  return { home, node };
}

function installFluxosDependencies(node) {
  const args = ['install', '--omit=dev', '--legacy-peer-deps', '--prefer-offline', '--no-audit', '--no-fund'];
  run('npm', args, { cwd: node, stdio: ['ignore', 'ignore', 'pipe'] });
}

function installPm2(work) {
  const prefix = path.join(work, 'tools');
  run('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', PM2_SPEC], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return path.join(prefix, 'node_modules/.bin/pm2');
}

function ferretDb() {
  return run('bash', [path.join(ROOT, 'tools/ferretdb/build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop();
}

function prepare(args) {
  const work = args.work ? path.resolve(args.work) : fs.mkdtempSync(path.join(os.tmpdir(), 'fluxos-e2e-'));
  fs.mkdirSync(work, { recursive: true });
  say(`prep  work dir ${work}`);
  const tarball = stage('npm pack of fluxos-preprod', () => packPackage(work));
  const built = stage('test upstream: one root commit, recipe applied, master and preprod', () =>
    buildUpstream(work, path.resolve(args.checkout), tarball),
  );
  const { home, node } = stage('node clone, origin redirected with insteadOf', () => cloneNode(work, built.upstream));
  stage("FluxOS's npm install --omit=dev --legacy-peer-deps", () => installFluxosDependencies(node));
  const pm2 = stage(`${PM2_SPEC}`, () => installPm2(work));
  const ferretdb = stage('FerretDB (tools/ferretdb)', ferretDb);
  const plan = { root: ROOT, work, home, node, pm2, ferretdb, tarball, ...built, realRemote: REAL_REMOTE };
  fs.writeFileSync(path.join(work, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

function main(argv) {
  const args = parseArgs(argv);
  if (args.error) return usage(args.error);
  if (!fs.existsSync(path.join(args.checkout, 'apiServer.js'))) {
    return usage(`Expected a FluxOS checkout (with apiServer.js), got ${JSON.stringify(args.checkout)}.`);
  }
  if (process.getuid?.() !== 0) return usage('Needs root: the steps run in a network namespace of their own.');
  let plan;
  try {
    plan = prepare(args);
  } catch (error) {
    process.stderr.write(`e2e: preparation failed: ${String(error.stderr || error.message).trim()}\n`);
    return 1;
  }
  const inside = spawnSync('unshare', ['-n', process.execPath, path.join(__dirname, 'inside.js'), plan.work], {
    stdio: 'inherit',
  });
  if (!args.keep) fs.rmSync(plan.work, { recursive: true, force: true });
  else say(`prep  kept ${plan.work}`);
  return inside.status ?? 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
