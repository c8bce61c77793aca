// fluxos-preprod: puts this node on its cohort's branch (master or preprod) at boot, restarts FluxOS onto
// the new code when it switched, and adds preProdNode and preProd to /flux/info. The package does the work
// and never throws; this file only hands it FluxOS's own config, logger, userconfig and MongoDB client.
//
// FluxOS starts without the package: when `fluxos-preprod` cannot be loaded (not installed yet, or removed
// by an install on a branch that lacks it), boot goes on as before after one log line, and /flux/info shows
// no preprod fields.
const path = require('node:path');
const config = require('config');

const log = require('../lib/log');
const dbHelper = require('./dbHelper');

/** The FluxOS checkout: this file is ZelBack/src/services/preprodBoot.js. */
const repoDir = path.join(__dirname, '../../..');

let service = null;

function loadPackage() {
  try {
    // eslint-disable-next-line global-require
    return require('fluxos-preprod');
  } catch (error) {
    log.warn(`preprod: fluxos-preprod could not be loaded, this node stays on its branch (${error.code || error.message})`);
    return null;
  }
}

/** A plain copy of the preProd block: node-config's objects carry hidden methods and are frozen. */
function preProdSettings() {
  return config.preProd ? { preProd: JSON.parse(JSON.stringify(config.preProd)) } : undefined;
}

/**
 * FluxOS's own MongoDB connection is opened only by waitForMongo(), at the end of initiate(). Start it
 * here so the boot step can use it; the package waits for it a few seconds at most (preProd.storeWaitMs)
 * and never opens a client of its own. A failure here is waitForMongo()'s to retry and log.
 */
function startFluxosConnection() {
  dbHelper.initiateDB().catch(() => undefined);
  const dbName = config.database.local.database;
  return () => {
    const client = dbHelper.databaseConnection();
    return client ? client.db(dbName) : null;
  };
}

/** Awaited early in apiServer's initiate(). Resolves with the package's decision, or null without it. */
async function runPreprodAtBoot() {
  const preprod = loadPackage();
  if (!preprod) return null;
  try {
    service = preprod.createPreprodService({
      repoDir,
      db: startFluxosConnection(),
      settings: preProdSettings(),
      userconfig: globalThis.userconfig,
      logger: log,
    });
    return await service.runAtBoot();
  } catch (error) {
    log.error(`preprod: the boot step failed, this node stays on its branch (${error.message})`);
    return null;
  }
}

/** The fields getFluxInfo() adds under data.flux: synchronous, no git and no database per request. */
function preprodInfo() {
  return service ? service.fluxInfo() : {};
}

/**
 * GET /flux/preprod: FluxOS's version and the /flux/info fields, from memory. Asks no other component of
 * FluxOS (no daemon, docker, database), so it answers while /flux/info answers with an error envelope.
 */
function preprodStatus(req, res) {
  let message;
  try {
    // eslint-disable-next-line global-require
    const { version } = require('../../../package.json');
    message = { status: 'success', data: { flux: { version, ...preprodInfo() } } };
  } catch (error) {
    message = { status: 'error', data: { code: 500, name: 'Error', message: 'preprod status unavailable' } };
  }
  return res ? res.json(message) : message;
}

/** Optional: FluxOS may call this once it knows it is healthy (the package also does it after 10 minutes up). */
function markPreprodHealthy() {
  return service ? service.markHealthy() : Promise.resolve(false);
}

module.exports = {
  markPreprodHealthy,
  preprodInfo,
  preprodStatus,
  runPreprodAtBoot,
};
