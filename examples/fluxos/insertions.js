// The FluxOS side of fluxos-preprod, as lines inserted at named anchors in FluxOS master (v8.17.0) plus one
// new file. Nothing of FluxOS is changed or removed: every anchor is a whole line that must occur exactly
// once in its file, and `after` lists lines that must come before it, in order, so a moved or renamed
// anchor stops the apply instead of putting the lines in the wrong place.
// Applied by ../apply-recipe.js; fluxos-v8.17.0.patch is the same insertions as a `git diff -U0`.
const path = require('node:path');

/** The exact dependency FluxOS declares: the package under the maintainers' npm scope, aliased to the name it requires. */
function dependencySpec(version) {
  return `npm:@runonflux/fluxos-preprod@${version}`;
}

function insertions({ dependency }) {
  return [
    {
      file: 'package.json',
      anchor: '  "dependencies": {',
      where: 'after',
      lines: [`    "fluxos-preprod": ${JSON.stringify(dependency)},`],
    },
    {
      file: 'ZelBack/config/default.js',
      anchor: 'module.exports = {',
      where: 'after',
      lines: [
        '  // fluxos-preprod: the share of nodes that run the preprod branch, and where that branch lives. Keep this',
        '  // block the same on master and preprod. probability 0 is the kill switch: every preprod node goes back to',
        '  // master at its next boot; raising it keeps the nodes already on preprod and adds more.',
        '  preProd: {',
        '    probability: 0,',
        "    remote: 'https://github.com/RunOnFlux/flux.git',",
        "    branch: 'preprod',",
        "    productionBranch: 'master',",
        '    daysToNextEval: 30,',
        '  },',
      ],
    },
    {
      file: 'ZelBack/src/services/dbHelper.js',
      anchor: 'module.exports = {',
      where: 'before',
      after: ['async function initiateDB() {', 'async function waitForMongo() {'],
      lines: [
        '// fluxos-preprod: the preprod boot step starts this connection early in initiate(), and waitForMongo() may',
        '// call initiateDB() while that first attempt still waits for the server. Both share the attempt in flight,',
        '// so FluxOS never opens a second client (the later one would replace the first and leave it open).',
        'const initiateDBOnce = initiateDB;',
        'let initiateDBInFlight = null;',
        '// eslint-disable-next-line no-func-assign',
        'initiateDB = function initiateDBShared() {',
        '  if (!initiateDBInFlight) {',
        '    initiateDBInFlight = initiateDBOnce().finally(() => { initiateDBInFlight = null; });',
        '  }',
        '  return initiateDBInFlight;',
        '};',
        '',
      ],
    },
    {
      file: 'ZelBack/src/services/fluxService.js',
      anchor: "const dbHelper = require('./dbHelper');",
      where: 'after',
      lines: ["const preprodBoot = require('./preprodBoot'); // fluxos-preprod: /flux/info fields"],
    },
    {
      file: 'ZelBack/src/services/fluxService.js',
      anchor: '    info.flux.staticIp = geolocationService.isStaticIP();',
      where: 'after',
      after: ['async function getFluxInfo(req, res) {'],
      lines: [
        '    // fluxos-preprod: preProdNode and preProd, computed at boot and kept in memory (no git, no database).',
        '    Object.assign(info.flux, preprodBoot.preprodInfo());',
      ],
    },
    {
      file: 'ZelBack/src/routes.js',
      anchor: "const fluxService = require('./services/fluxService');",
      where: 'after',
      lines: ["const preprodBoot = require('./services/preprodBoot'); // fluxos-preprod: GET /flux/preprod"],
    },
    {
      file: 'ZelBack/src/routes.js',
      anchor: "  app.get('/flux/version', cache('30 seconds'), (req, res) => {",
      where: 'before',
      after: ['module.exports = (app) => {'],
      lines: [
        '  // fluxos-preprod: a cheap public route with the package\'s fields and FluxOS\'s version. It asks none of',
        '  // FluxOS\'s components, so it answers while /flux/info fails, and the fleet scanner can tell "up, degraded"',
        '  // from "down".',
        "  app.get('/flux/preprod', (req, res) => {",
        '    preprodBoot.preprodStatus(req, res);',
        '  });',
      ],
    },
    {
      file: 'apiServer.js',
      anchor: "const dbHelper = require('./ZelBack/src/services/dbHelper');",
      where: 'after',
      lines: ["const preprodBoot = require('./ZelBack/src/services/preprodBoot'); // fluxos-preprod"],
    },
    {
      file: 'apiServer.js',
      anchor: '  await createDnsCache();',
      where: 'before',
      after: ['async function initiate() {', "  process.on('uncaughtException', (err) => {"],
      lines: [
        '  // fluxos-preprod: put this checkout on its cohort\'s branch before the rest of FluxOS starts. Bounded and',
        '  // never throws; after a switch it restarts FluxOS onto the new code itself.',
        '  await preprodBoot.runPreprodAtBoot();',
        '',
      ],
    },
  ];
}

const newFiles = [{ file: 'ZelBack/src/services/preprodBoot.js', source: path.join(__dirname, 'preprodBoot.js') }];

module.exports = { dependencySpec, insertions, newFiles };
