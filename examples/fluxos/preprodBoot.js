// The FluxOS side of fluxos-preprod: a new file, ZelBack/src/services/preprodBoot.js.
// apiServer.js calls runPreprodAtBoot() early in initiate(); fluxService.js adds
// preprodInfo() to /flux/info. Plain CommonJS, FluxOS's logger, FluxOS's MongoDB.
// Kept small on purpose: the package does the work and never throws at boot.
const path = require('node:path');
const { createPreprodService, openStore, PENDING_FLUX_INFO } = require('fluxos-preprod');

let service = null;

/**
 * deps (all FluxOS's own objects):
 *   config       node-config (ZelBack/config/default.js): database.*, preProd
 *   userconfig   the loaded config/userconfig.js (module.exports)
 *   log          FluxOS's logger (lib/log): error/warn/info/debug
 *   dbHelper     serviceHelper's db helper: databaseConnection() → MongoClient or null
 *   repoDir      the checkout; FluxOS: path.join(__dirname, '../../..')
 */
async function runPreprodAtBoot({ config, userconfig, log, dbHelper, repoDir }) {
  const dbName = config.database.local.database; // 'zelfluxlocal'
  let store;
  const client = dbHelper.databaseConnection();
  if (client) {
    store = undefined; // use FluxOS's own client below
  } else {
    // FluxOS connects to MongoDB in the background; don't wait for it here.
    store = await openStore(`mongodb://${config.database.url}:${config.database.port}/${dbName}`, {
      serverSelectionTimeoutMS: 3000,
    }).catch((error) => {
      log.warn(`preprod: MongoDB not reachable yet (${error.message})`);
      return undefined; // the service then reports store-unavailable and leaves the node where it is
    });
  }
  service = createPreprodService({
    repoDir: repoDir || path.join(__dirname, '../../..'),
    db: client ? client.db(dbName) : undefined,
    store,
    settings: config.preProd ? { preProd: config.preProd } : undefined,
    userconfig,
    logger: log,
  });
  // The store stays open: the service marks the boot healthy through it later.
  return service.runAtBoot();
}

/** The fields /flux/info adds under data.flux: synchronous, no git, no database. */
function preprodInfo() {
  return service ? service.fluxInfo() : PENDING_FLUX_INFO;
}

/** Optional: FluxOS calls this once it knows it is healthy (the package also does it by itself after 10 minutes). */
function markPreprodHealthy() {
  return service ? service.markHealthy() : Promise.resolve(false);
}

module.exports = { runPreprodAtBoot, preprodInfo, markPreprodHealthy };
