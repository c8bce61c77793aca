// Stand-in for fluxnode-watchdog's watchdog.js, written for the fluxos-preprod tests. It follows the real
// FluxOS update check step by step (read master's version from GitHub with curl and jq, compare it with
// the node's package.json, and when they differ: stop FluxOS, `git checkout . && git fetch && git pull -p`,
// install on ArcaneOS, start FluxOS), with the same commands, the same lines where the recipe in
// examples/watchdog inserts, and none of the rest (notifications, its own update, the sleeps between
// steps). One run of `node watchdog.js` is one check; the real watchdog repeats it every 1-4 h.
const { promisify } = require('util');
const { execFile } = require('child_process');
const os = require('os');
const fs = require('fs');
const path = require('node:path');

const execFilePromise = promisify(execFile);

/** Runs a program; never throws: { error, stdout, stderr }, stdout '' on failure (as the real helper). */
async function runCommand(userCmd, options = {}) {
  const res = { error: null, stdout: '', stderr: '' };
  const { params = [], timeout = 900000 } = options;
  try {
    const { stdout, stderr } = await execFilePromise(userCmd, params, { timeout, stdio: ['ignore', 'pipe', 'pipe'] });
    res.stdout = stdout || '';
    res.stderr = stderr || '';
  } catch (err) {
    res.error = err;
    res.stdout = err.stdout || '';
    res.stderr = err.stderr || '';
  }
  return res;
}

/** A shell command line (pipes, &&), as the real watchdog runs most of its commands. */
async function runShellCommand(command, options = {}) {
  const { timeout = 900000 } = options;
  return runCommand('sh', { params: ['-c', command], timeout });
}

const isArcane = Boolean(process.env.FLUXOS_PATH);
const fluxOsRootDir = process.env.FLUXOS_PATH || path.join(os.homedir(), "zelflux");

// The real watchdog reads these from its config.js; FluxOS updates are on.
const config = { zelflux_update: '1' };
// eslint-disable-next-line no-unused-vars
let component_update = 0;

/** The real one updates FluxOS's web UI here; nothing the FluxOS update check depends on. */
async function checkCloudUI() {
  return undefined;
}

async function auto_update() {
  const fluxOsStopCmd = isArcane
    ? "systemctl stop fluxos.service"
    : "pm2 stop flux";

  const fluxOsStartCmd = isArcane
    ? "systemctl start fluxos.service"
    : "pm2 start flux";

  const fluxOsInstallCmd = isArcane
    ? `cd ${fluxOsRootDir} && npm install --omit=dev --cache /dat/usr/lib/npm`
    : ":";

  const fluxOsPkgFile = path.join(fluxOsRootDir, "package.json");

  // FluxOS auto-update (always enabled for non-Arcane, config-dependent for Arcane)
  if (!isArcane || config.zelflux_update == "1") {
   const { stdout: zelflux_remote_version } = await runShellCommand("curl -sS -m 5 https://raw.githubusercontent.com/RunOnFlux/flux/master/package.json | jq -r '.version'", { timeout: 7000 });
   const { stdout: zelflux_local_version } = await runShellCommand(`jq -r '.version' ${fluxOsPkgFile}`, { timeout: 5000 });

   console.log(`FluxOS current: ${zelflux_remote_version.trim()} installed: ${zelflux_local_version.trim()}`);
   if ( zelflux_remote_version.trim() != "" && zelflux_local_version.trim() != "" ){

     if ( zelflux_remote_version.trim() !== zelflux_local_version.trim() ){
       component_update = 1;
       console.log(`New FluxOS version detected: ${zelflux_local_version.trim()} -> ${zelflux_remote_version.trim()}`);
       await runShellCommand(fluxOsStopCmd, { timeout: 30000 });
       await runShellCommand(`cd ${fluxOsRootDir} && git checkout . && git fetch && git pull -p`, { timeout: 120000 });
       await runShellCommand(fluxOsInstallCmd, { timeout: 300000 });
       await runShellCommand(fluxOsStartCmd, { timeout: 30000 });
       const zelflux_lv = (await runShellCommand(`jq -r '.version' ${fluxOsPkgFile}`, { timeout: 30000 })).stdout;
       if ( zelflux_remote_version.trim() == zelflux_lv.trim() ) {
         console.log('Update successfully.');
       }
    }
   }
  }
  await checkCloudUI();
}

// The real flux_check() restarts FluxOS when fluxbench reports it disconnected on two checks in a row; here
// `node watchdog.js restart` is that restart, with the same command and the same line the recipe anchors on.
async function flux_check() {
  const fluxOsRestartCmd = isArcane
    ? "sudo systemctl restart fluxos.service"
    : "pm2 restart flux";
  const disc_count = 2;
  const action = config.action;

     if ( typeof action  == "undefined" || action == "1" ){

       if ( disc_count == 2 ){
        await runShellCommand(fluxOsRestartCmd, { timeout: 30000 });
       }
     }
}

if (require.main === module) {
  (process.argv[2] === 'restart' ? flux_check() : auto_update()).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
