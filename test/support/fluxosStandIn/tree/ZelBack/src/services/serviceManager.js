// Stand-in for FluxOS's serviceManager: startFluxFunctions() is where FluxOS first waits for
// MongoDB, after the API server is up.
const config = require('config');

const log = require('../lib/log');
const dbHelper = require('./dbHelper');

async function startFluxFunctions() {
  try {
    await dbHelper.waitForMongo();
    log.info('Preparing local database...');
    const db = dbHelper.databaseConnection();
    const database = db.db(config.database.local.database);
    await database.collection(config.database.local.collections.loggedUsers).deleteMany({});
    log.info('Flux functions started');
  } catch (error) {
    log.error(error);
  }
}

module.exports = {
  startFluxFunctions,
};
