// The e2e steps, in the order they run on one node. Each returns a short note for its PASS line or throws
// StepFailed with what it found. Later steps build on earlier ones (the node's branch, the store), so a FAIL
// can make the next step fail too; each says what it saw.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { expectThat, firstLogLine, git, lastSwitchTo, sleep, waitUntil } = require('./world');

/** Files an operator keeps in the checkout; every switch must leave them byte for byte. */
const OPERATOR_FILES = {
  'operator-notes.txt': 'an untracked file the operator keeps here\n',
  'ZelApps/e2e-app/data.txt': 'app data under a git-ignored folder\n',
  'appvolumes/e2e/volume.txt': 'a volume under a git-ignored folder\n',
};

function writeOperatorFiles(node) {
  const written = {};
  for (const [name, text] of Object.entries(OPERATOR_FILES)) {
    fs.mkdirSync(path.dirname(path.join(node, name)), { recursive: true });
    fs.writeFileSync(path.join(node, name), text);
    written[name] = text;
  }
  written['config/userconfig.js'] = null; // compared with its latest write, below
  return written;
}

/** config/userconfig.js as FluxOS writes it (a fixed list of keys), plus `extra` lines in `initial`. */
function writeUserconfig(world, extra = []) {
  const sample = fs.readFileSync(path.join(world.plan.node, 'sampleUserConfig.js'), 'utf8');
  const text = sample.replace('  initial: {\n', `  initial: {\n${extra.map((line) => `    ${line}\n`).join('')}`);
  fs.writeFileSync(world.userconfig, text);
  world.userconfigText = text;
}

/** Commits `files` on top of `base` in the seed repository and pushes it to the upstream's preprod. */
function pushPreprod(world, base, files, message, force) {
  const { seed, upstream } = world.plan;
  git(seed, 'checkout', '-q', '-B', 'e2e-work', base);
  for (const [name, edit] of Object.entries(files)) {
    const file = path.join(seed, name);
    fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
  }
  git(seed, 'commit', '-q', '-am', message);
  git(seed, 'push', '-q', ...(force ? ['--force'] : []), upstream, 'e2e-work:preprod');
  return git(seed, 'rev-parse', 'HEAD');
}

function bumpVersion(version) {
  return (text) => text.replace(/^ {2}"version": "[^"]*",$/m, `  "version": "${version}",`);
}

async function bootStepFirst(world) {
  world.operatorFiles = writeOperatorFiles(world.plan.node);
  world.userconfigText = fs.readFileSync(world.userconfig, 'utf8');
  world.pm2('start', path.join(world.plan.node, 'start.sh'), '--name', 'flux');
  await world.nextBoot(0);
  const first = firstLogLine(world.plan.node);
  expectThat(first !== null && /preprod/.test(first), `FluxOS's first log line is ${JSON.stringify(first)}`);
  return first.slice(25, 160);
}

/** Waits for `version` to answer after a switch to `branch`; records the time from the switch's log line. */
async function newCodeListening(world, branch, version) {
  const at = await world.listening(version);
  const switchedAt = lastSwitchTo(world.plan.node, branch);
  expectThat(switchedAt !== null, `FluxOS's logs have no "switched to ${branch}" line`);
  world.timings.switchToListening.push(at - switchedAt);
  return at - switchedAt;
}

async function switchRestartsNodemon(world) {
  // The boot that switches may never resolve (it can wait for nodemon to end it): its log line says it switched.
  const ms = await newCodeListening(world, 'preprod', world.plan.preprodVersion);
  const head = world.head();
  expectThat(head.branch === 'preprod', `HEAD is ${head.branch}`);
  const restarts = world.pm2Restarts();
  expectThat(restarts === 0, `pm2 restarted FluxOS ${restarts} times: the switch's restart was not nodemon's`);
  return `nodemon restarted onto ${world.plan.preprodVersion} ${ms} ms after the switch, pm2 restarts 0`;
}

async function fluxInfoFields(world) {
  const info = await waitUntil('/flux/info to answer success', 120_000, async () => {
    const answer = await world.info();
    return answer?.status === 'success' ? answer : null;
  });
  const flux = info.data.flux;
  expectThat(flux.preProdNode === true, `preProdNode is ${JSON.stringify(flux.preProdNode)}`);
  expectThat(flux.preProd?.mode === 'preprod', `preProd is ${JSON.stringify(flux.preProd)}`);
  expectThat(flux.preProd.branch === 'preprod', `preProd.branch is ${flux.preProd.branch}`);
  return `preProdNode true, preProd ${JSON.stringify({ mode: flux.preProd.mode, reason: flux.preProd.reason })}`;
}

/**
 * fluxd still loading makes FluxOS's getFluxInfo() throw, so the whole /flux/info is an error envelope; the
 * recipe's /flux/preprod answers from memory all the same (docs/health.md).
 */
async function cheapRouteWhileInfoFails(world) {
  world.fluxdFailing.add('getinfo');
  try {
    // FluxOS caches daemon answers for a while: wait until /flux/info reports the failure.
    const broken = await waitUntil('/flux/info to answer an error envelope', 120_000, async () => {
      const answer = await world.info();
      return answer?.status === 'error' ? answer : null;
    });
    const route = await world.preprodRoute();
    const flux = route?.data?.flux;
    expectThat(route?.status === 'success', `/flux/preprod answered ${JSON.stringify(route)?.slice(0, 200)}`);
    expectThat(flux.version === world.plan.preprodVersion, `/flux/preprod says version ${flux.version}`);
    expectThat(flux.preProdNode === true && flux.preProd?.mode === 'preprod', `preProd is ${JSON.stringify(flux.preProd)}`);
    expectThat(typeof flux.preProd.bootedAt === 'string', `preProd.bootedAt is ${flux.preProd.bootedAt}`);
    const message = String(broken.data?.message ?? '').slice(0, 60);
    return `/flux/info: error "${message}"; /flux/preprod: ${flux.version}, mode ${flux.preProd.mode}`;
  } finally {
    world.fluxdFailing.clear();
  }
}

async function restartsAreNotCrashes(world) {
  const seen = [];
  for (let i = 1; i <= 3; i += 1) {
    const boot = await world.restart();
    await world.listening(world.plan.preprodVersion);
    seen.push(`${boot.mode}/${boot.reason}`);
    expectThat(boot.mode === 'preprod', `after pm2 restart ${i} the boot decided ${boot.mode} (${boot.reason})`);
  }
  expectThat(world.head().branch === 'preprod', `HEAD is ${world.head().branch} after three pm2 restarts`);
  return `three pm2 restarts: ${seen.join(', ')}`;
}

async function forcePushConverges(world) {
  const version = world.plan.preprodVersion.replace(/\.0$/, '.1');
  const tip = pushPreprod(world, 'master', { 'package.json': bumpVersion(version) }, `preprod redone: ${version}`, true);
  const boot = await world.restart();
  await newCodeListening(world, 'preprod', version);
  const head = world.head();
  expectThat(head.branch === 'preprod' && head.commit === tip, `HEAD is ${head.branch} at ${head.commit.slice(0, 12)}`);
  world.plan.preprodVersion = version;
  return `boot ${boot.mode}/${boot.reason}, now at the force-pushed tip ${tip.slice(0, 12)} (${version})`;
}

async function optOutGoesBack(world) {
  writeUserconfig(world, ['disablePreProd: true,']);
  const boot = await world.restart();
  expectThat(boot.mode === 'production' && boot.reason === 'disabled', `the boot decided ${boot.mode}/${boot.reason}`);
  await world.listening(world.plan.masterVersion);
  expectThat(world.head().branch === 'master', `HEAD is ${world.head().branch}`);
  const info = await world.info();
  expectThat(info?.data?.flux?.preProdNode === false, `/flux/info says ${JSON.stringify(info?.data?.flux?.preProd)}`);
  return `back on master (${world.plan.masterVersion}), preProd.reason ${info.data.flux.preProd.reason}`;
}

async function optOutRemembered(world) {
  writeUserconfig(world); // FluxOS rewrites userconfig.js from its fixed key list: disablePreProd is gone
  const boot = await world.restart();
  expectThat(boot.mode === 'production' && boot.reason === 'disabled', `the boot decided ${boot.mode}/${boot.reason}`);
  await world.listening(world.plan.masterVersion);
  expectThat(world.head().branch === 'master', `HEAD is ${world.head().branch}`);
  return 'userconfig.js rewritten without disablePreProd: still master, reason disabled';
}

async function operatorFilesSurvive(world) {
  const changed = [];
  for (const [name, text] of Object.entries(world.operatorFiles)) {
    const expected = text ?? world.userconfigText;
    const file = path.join(world.plan.node, name);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== expected) changed.push(name);
  }
  expectThat(changed.length === 0, `changed or gone: ${changed.join(', ')}`);
  return `${Object.keys(world.operatorFiles).length} files unchanged after every switch`;
}

/**
 * What the patched watchdog's auto_update() does when preprod's package.json version differs from the node's:
 * stop FluxOS, `git checkout . && git fetch && git pull -p`, start FluxOS. (A preprod node gets a new preprod
 * release this way; the boot step itself does not fetch a branch the node is already on.)
 */
function watchdogUpdate(world) {
  const { node } = world.plan;
  world.pm2('stop', 'flux');
  git(node, 'checkout', '.');
  git(node, 'fetch', '-q');
  git(node, 'pull', '-q', '-p', '--ff-only');
  world.pm2('start', 'flux');
}

/** FluxOS no longer answers: nodemon ran its crash hook and waits for a file change. */
async function crashed(world, forMs) {
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    if ((await world.version()) !== null) return false;
    await sleep(500);
  }
  return true;
}

async function crashFallsBack(world) {
  writeUserconfig(world, ['disablePreProd: false,']); // the operator opts back in
  const back = await world.restart();
  expectThat(back.mode === 'preprod', `opting back in, the boot decided ${back.mode}/${back.reason}`);
  await world.listening(world.plan.preprodVersion);
  const crash = "throw new Error('e2e: an import-time crash on preprod');\n";
  const file = 'ZelBack/src/services/serviceManager.js';
  const version = world.plan.preprodVersion.replace(/\.\d+$/, '.9');
  git(world.plan.seed, 'fetch', '-q', world.plan.upstream, 'preprod');
  const edits = { [file]: (text) => crash + text, 'package.json': bumpVersion(version) };
  pushPreprod(world, 'FETCH_HEAD', edits, `preprod ${version} crashes at import`, false);
  watchdogUpdate(world);
  // The watchdog's part: FluxOS down on consecutive checks → `pm2 restart flux`.
  let restarts = 0;
  const deadline = Date.now() + 600_000;
  while ((await world.version()) !== world.plan.masterVersion && restarts < 6 && Date.now() < deadline) {
    if (await crashed(world, 45_000)) {
      world.pm2('restart', 'flux');
      restarts += 1;
    } else {
      await sleep(1000); // up on preprod: the new tip is not reached yet (the recheck moves it)
    }
  }
  await world.listening(world.plan.masterVersion);
  const info = await world.info();
  const reason = info?.data?.flux?.preProd?.reason;
  expectThat(reason === 'crash-loop', `on master, but /flux/info says reason ${reason}`);
  return `fell back to master with crash-loop after ${restarts} pm2 restarts`;
}

const stepList = [
  ["the boot step is FluxOS's first log line", bootStepFirst],
  ['a switch restarts nodemon onto preprod', switchRestartsNodemon],
  ['/flux/info shows preProdNode and preProd', fluxInfoFields],
  ['/flux/preprod answers while /flux/info is an error envelope', cheapRouteWhileInfoFails],
  ['a force-pushed preprod converges', forcePushConverges],
  ['restarts are not crashes: three pm2 restarts, no fallback', restartsAreNotCrashes],
  ['opt-out goes back to master', optOutGoesBack],
  ['opt-out is remembered across userconfig rewrites', optOutRemembered],
  ['operator files survive', operatorFilesSurvive],
  ['an import-time crash on preprod falls back to production with crash-loop', crashFallsBack],
];

module.exports = { stepList };
