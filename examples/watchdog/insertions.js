// The watchdog side of fluxos-preprod, as lines inserted at named anchors in fluxnode-watchdog master
// (watchdog.js, auto_update()). Nothing is changed or removed. Applied by ../apply-recipe.js;
// fluxnode-watchdog-master.patch is the same insertions as a `git diff -U0`.
//
// What it changes: the FluxOS update check compares the node's package.json version with the version of
// the branch the node runs when that branch is preprod, read from GitHub exactly the way master's is read
// today. Every other node (master, development, a custom branch, a checkout whose branch cannot be read)
// compares with master's, as before. An empty answer for a preprod node skips its update, like an empty
// answer for master does today: the node keeps running and the next check (1–4 h later) tries again.
//
// How: after `zelflux_local_version` is read, a block opens in which `zelflux_remote_version` is the
// tracked version (it shadows master's), and closes where the FluxOS update check ends.

const LOCAL_VERSION_LINE = "   const { stdout: zelflux_local_version } = await runShellCommand(`jq -r '.version' ${fluxOsPkgFile}`, { timeout: 5000 });";

function insertions() {
  return [
    {
      file: 'watchdog.js',
      anchor: 'async function auto_update() {',
      where: 'before',
      lines: [
        '// fluxos-preprod: the FluxOS version this node should run. A node on the preprod branch (the fluxos-preprod',
        "// package puts a share of nodes there) follows preprod's package.json, read like master's; every other node,",
        "// and a checkout whose branch cannot be read, keeps master's version as before. The branch is read from",
        "// .git/HEAD, not with git, so a checkout owned by another user reads the same. \"null\" (no version) counts",
        '// as empty, and an empty version skips the update, as an empty master version does.',
        'async function fluxosTrackedVersion(mastersVersion) {',
        '  let head;',
        '  try {',
        "    head = fs.readFileSync(path.join(fluxOsRootDir, '.git', 'HEAD'), 'utf8').trim();",
        '  } catch (error) {',
        '    return mastersVersion;',
        '  }',
        "  if (head !== 'ref: refs/heads/preprod') return mastersVersion;",
        "  const { stdout } = await runShellCommand(\"curl -sS -m 5 https://raw.githubusercontent.com/RunOnFlux/flux/preprod/package.json | jq -r '.version'\", { timeout: 7000 });",
        "  return stdout.trim() === 'null' ? '' : stdout;",
        '}',
        '',
      ],
    },
    {
      file: 'watchdog.js',
      anchor: LOCAL_VERSION_LINE,
      where: 'after',
      after: ['async function auto_update() {'],
      lines: [
        '   // fluxos-preprod: from here to the end of the FluxOS check, compare with the version of the branch this node runs.',
        '   const fluxos_tracked_version = await fluxosTrackedVersion(zelflux_remote_version);',
        '   { const zelflux_remote_version = fluxos_tracked_version; // eslint-disable-line no-shadow',
      ],
    },
    {
      file: 'watchdog.js',
      anchor: '  await checkCloudUI();',
      where: 'before',
      offset: -1,
      expect: '  }',
      after: ['async function auto_update() {', LOCAL_VERSION_LINE],
      lines: ['   } // fluxos-preprod: end of the FluxOS check that compares with fluxos_tracked_version'],
    },
  ];
}

/** The watchdog's restart of a FluxOS that did not answer (flux_check(), fluxbench disconnected twice). */
const RESTART_LINE = '        await runShellCommand(fluxOsRestartCmd, { timeout: 30000 });';

/**
 * Before that restart, a marker for the fluxos-preprod guard: the stop it causes is not an operator's clean
 * restart but an unresponsive FluxOS, which counts as an unhealthy preprod start.
 */
function restartMarker() {
  return {
    file: 'watchdog.js',
    anchor: RESTART_LINE,
    where: 'before',
    after: ['async function flux_check() {', '       if ( disc_count == 2 ){'],
    lines: [
      "        // fluxos-preprod: FluxOS did not answer; on a preprod node this restart counts as an unhealthy start.",
      "        try { fs.writeFileSync(path.join(fluxOsRootDir, '.git', 'fluxos-preprod-watchdog.json'), `${JSON.stringify({ at: new Date().toISOString() })}\\n`); } catch (error) { /* not a git checkout */ }",
    ],
  };
}

module.exports = { insertions: () => [...insertions(), restartMarker()], newFiles: [] };
