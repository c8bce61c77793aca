// fluxos-preprod's guard: the first thing app.js runs, before FluxOS requires anything. Plain Node built-ins
// only, so it works when node_modules is missing or half-installed; synchronous; it never throws (app.js
// also calls it inside try/catch). It lives in FluxOS's own tree, so a node without the package still boots.
//
// On a checkout whose HEAD is the preprod branch it:
//   1. waits, bounded, while a dependency install runs in this checkout (the package's, or one left by a
//      killed boot), so FluxOS never requires a module an install is still writing;
//   2. reads the start records (.git/fluxos-preprod-starts.json) and, when the last `maxUnhealthyBoots`
//      starts on preprod were unhealthy (crashed, killed, or restarted by the watchdog because FluxOS did not
//      answer; clean stops do not count), puts the node on the production branch itself and exits for the
//      supervisor, which starts production's code; the package stores the fallback (crash-loop) at its
//      next boot;
//   3. otherwise records this start and hooks the process's exit and stop signals, so the next start knows
//      how this one ended: exit 0 or a stop signal (SIGTERM, SIGINT, SIGHUP, SIGUSR2) is a clean stop, a
//      non-zero exit is a crash, no end at all is a kill (SIGKILL, OOM).
// The record format and the rule are the package's (src/cohort/bootRecords.ts; a unit test holds this file
// to the same table of cases). The fallback is git's own safe checkout, which refuses rather than overwrite
// a local change or an untracked or ignored file, and never deletes anything.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STARTS_FILE = 'fluxos-preprod-starts.json';
const WATCHDOG_FILE = 'fluxos-preprod-watchdog.json';
const INSTALL_FILE = 'fluxos-preprod-install.json';
const INSTALL_WAITER_FILE = 'fluxos-preprod-install-waiter.json';
const MAX_START_RECORDS = 20;
const START_KEY = Symbol.for('fluxos-preprod.start');
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'];
const DEFAULTS = { branch: 'preprod', productionBranch: 'master', maxUnhealthyBoots: 3 };

function say(line) {
  try {
    process.stderr.write(`[preprod guard] ${line}\n`);
  } catch (error) {
    // nowhere to say it
  }
}

function dateOf(value) {
  const date = typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/** The start records as the package reads them (src/cohort/bootRecords.ts parseStartJournal). */
function parseJournal(text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { starts: [] };
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.starts)) return { starts: [] };
  const starts = raw.starts.filter((start) => start && typeof start.id === 'string' && dateOf(start.at));
  starts.sort((a, b) => dateOf(a.at) - dateOf(b.at));
  return { ...raw, starts };
}

/** healthy | neutral | unhealthy: the package's classifyStart(). */
function classifyStart(start) {
  if (dateOf(start.healthy)) return 'healthy';
  const how = start.end && dateOf(start.end.at) ? start.end.how : undefined;
  if (how === 'restart' || how === 'fallback') return 'neutral';
  if (how === 'clean') return start.end.why === 'exit 0' && !dateOf(start.reached) ? 'unhealthy' : 'neutral';
  return 'unhealthy';
}

/** Unhealthy starts in a row at the end of the records, since `since`: the package's unhealthyInRow(). */
function unhealthyInRow(journal, currentId) {
  const since = dateOf(journal.since);
  let count = 0;
  for (const start of journal.starts) {
    if (start.id === currentId || (since && dateOf(start.at) < since)) continue;
    const kind = classifyStart(start);
    if (kind === 'healthy') count = 0;
    else if (kind === 'unhealthy') count += 1;
  }
  return count;
}

function readJournal(gitDir) {
  try {
    return parseJournal(fs.readFileSync(path.join(gitDir, STARTS_FILE), 'utf8'));
  } catch (error) {
    return { starts: [] };
  }
}

// A root FluxOS on a checkout another user owns leaves nothing root-owned in .git (git runs as the owner).
function handToOwner(gitDir, file) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const owner = fs.statSync(gitDir);
  if (owner.uid !== 0) fs.chownSync(file, owner.uid, owner.gid);
}

function writeJournal(gitDir, journal) {
  const file = path.join(gitDir, STARTS_FILE);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const text = `${JSON.stringify({ ...journal, starts: journal.starts.slice(-MAX_START_RECORDS) })}\n`;
    fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
    handToOwner(gitDir, temp);
    fs.renameSync(temp, file);
    return true;
  } catch (error) {
    try {
      fs.rmSync(temp, { force: true });
    } catch (ignored) {
      // nothing to remove
    }
    return false;
  }
}

/** The preProd block's branch names and maxUnhealthyBoots, read from the config file's text (never run). */
function readSettings(repoDir) {
  const settings = { ...DEFAULTS };
  let text = '';
  try {
    text = fs.readFileSync(path.join(repoDir, 'ZelBack', 'config', 'default.js'), 'utf8');
  } catch (error) {
    return settings;
  }
  const block = /\bpreProd\s*:\s*\{([^}]*)\}/.exec(text);
  if (!block) return settings;
  const text1 = block[1];
  const name = (key) => new RegExp(`\\b${key}\\s*:\\s*['"]([A-Za-z0-9._/-]+)['"]`).exec(text1);
  const branch = name('branch');
  const production = name('productionBranch');
  const max = /\bmaxUnhealthyBoots\s*:\s*(\d+)/.exec(text1);
  if (branch) settings.branch = branch[1];
  if (production) settings.productionBranch = production[1];
  if (max && Number(max[1]) >= 1) settings.maxUnhealthyBoots = Number(max[1]);
  return settings;
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Waits while the package's install runs in this checkout (its record names the process group and the
 * time it must be over by), at most until that time: FluxOS must not require what npm is still writing.
 */
function waitForInstall(gitDir, now) {
  let record;
  try {
    record = JSON.parse(fs.readFileSync(path.join(gitDir, INSTALL_FILE), 'utf8'));
  } catch (error) {
    return;
  }
  const until = dateOf(record && record.until);
  if (!record || !Number.isInteger(record.pid) || !until || !alive(record.pid)) return;
  say(`waiting for the dependency install in progress (pid ${record.pid}) before FluxOS starts`);
  // The install sees that this start waits for it and goes on by itself, so it does not restart nodemon again.
  try {
    fs.writeFileSync(path.join(gitDir, INSTALL_WAITER_FILE), JSON.stringify({ pid: process.pid, install: record.pid }));
  } catch (error) {
    // then the install restarts nodemon when it ends, and this start is replaced
  }
  while (alive(record.pid) && Date.now() < until.getTime() && Date.now() - now.getTime() < 30 * 60 * 1000) {
    sleepMs(250);
  }
}

function gitEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return env;
}

function git(repoDir, args) {
  const owner = fs.statSync(repoDir);
  const asOwner = process.getuid && process.getuid() === 0 && owner.uid !== 0 ? { uid: owner.uid, gid: owner.gid } : {};
  return childProcess.execFileSync('git', args, {
    cwd: repoDir,
    env: gitEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60000,
    ...asOwner,
  });
}

/**
 * The fallback: git's own checkout of the production branch (creating it from the remote's if there is
 * no local one), which refuses instead of overwriting local changes, untracked or ignored files; then a
 * fast-forward to its upstream when there is one. Nothing is deleted. True when HEAD is on production.
 */
function fallBack(repoDir, settings) {
  try {
    git(repoDir, ['checkout', '--quiet', '--no-overwrite-ignore', settings.productionBranch, '--']);
  } catch (error) {
    const said = String((error.stderr && error.stderr.toString()) || error.message).trim().split('\n')[0];
    say(`could not put the node on ${settings.productionBranch}: ${said}`);
    return false;
  }
  try {
    git(repoDir, ['merge', '--ff-only', '--quiet', '@{upstream}']);
  } catch (error) {
    // no upstream, or not a fast-forward: the local production branch stays as it is
  }
  return true;
}

function endStart(gitDir, id, end) {
  const journal = readJournal(gitDir);
  const start = journal.starts.find((candidate) => candidate.id === id);
  if (!start || start.end) return; // ended already (the package's own restart): that stands
  start.end = { at: new Date().toISOString(), ...end };
  writeJournal(gitDir, journal);
}

/** Whether the watchdog said it restarts FluxOS because FluxOS did not answer, after this start began. */
function watchdogRestart(gitDir, startedAt) {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(gitDir, WATCHDOG_FILE), 'utf8'));
    const at = dateOf(marker && marker.at);
    return Boolean(at && at >= startedAt);
  } catch (error) {
    return false;
  }
}

function hookEnd(gitDir, id, startedAt) {
  process.on('exit', (code) => {
    endStart(gitDir, id, code === 0 ? { how: 'clean', why: 'exit 0' } : { how: 'crash', why: `exit ${code}` });
  });
  for (const signal of STOP_SIGNALS) {
    const onSignal = () => {
      const how = watchdogRestart(gitDir, startedAt) ? 'watchdog' : 'clean';
      endStart(gitDir, id, { how, why: signal });
      // Alone, the default action (the process ends) is restored; FluxOS's own handler, if any, ends it instead.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

// No git checkout here (a tree installed another way): nothing to guard, and nothing to say.
function readHead(gitDir) {
  try {
    return fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  }
}

function guardStart(repoDir = path.join(__dirname, '..', '..', '..')) {
  try {
    const gitDir = path.join(repoDir, '.git');
    const settings = readSettings(repoDir);
    const head = readHead(gitDir);
    if (head !== `ref: refs/heads/${settings.branch}`) return null;
    const now = new Date();
    waitForInstall(gitDir, now);
    const journal = readJournal(gitDir);
    const unhealthy = unhealthyInRow(journal, null);
    if (unhealthy >= settings.maxUnhealthyBoots) {
      say(`${unhealthy} unhealthy starts in a row on ${settings.branch}: putting the node on ${settings.productionBranch}`);
      if (fallBack(repoDir, settings)) {
        const at = new Date().toISOString();
        writeJournal(gitDir, { ...readJournal(gitDir), since: at, fellBackAt: at });
        // nodemon restarts on a change inside a watched directory (ZelBack/), which survives any checkout.
        const touched = new Date();
        fs.utimesSync(__filename, touched, touched);
        say(`on ${settings.productionBranch}; exiting so the supervisor starts its code`);
        process.exit(1);
      }
    }
    const id = `${process.pid}-${now.getTime()}`;
    journal.starts.push({ id, at: now.toISOString() });
    if (!writeJournal(gitDir, journal)) return null;
    globalThis[START_KEY] = id;
    hookEnd(gitDir, id, now);
    return id;
  } catch (error) {
    say(`skipped: ${error.message}`);
    return null;
  }
}

module.exports = { classifyStart, guardStart, parseJournal, unhealthyInRow };
