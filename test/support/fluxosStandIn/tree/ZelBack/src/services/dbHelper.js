// Stand-in for FluxOS's dbHelper: one module-level client, null until initiateDB() connects;
// waitForMongo() retries initiateDB() every 5 s until it succeeds. FluxOS calls waitForMongo()
// from startFluxFunctions(), at the end of apiServer's initiate().
const log = require('../lib/log');

const mongodb = require('mongodb');
const config = require('config');

const { MongoClient } = mongodb;
const mongoUrl = `mongodb://${config.database.url}:${config.database.port}/`;

/**
 * @type {mongodb.MongoClient}
 */
let openDBConnection = null;

/** The client once connected, otherwise null. */
function databaseConnection() {
  return openDBConnection;
}

async function connectMongoDb(url) {
  const connectUrl = url || mongoUrl;
  const client = await MongoClient.connect(connectUrl, { maxPoolSize: 100 });
  return client;
}

async function initiateDB() {
  if (!openDBConnection) {
    openDBConnection = await connectMongoDb();
  }
  return true;
}

async function waitForMongo() {
  // eslint-disable-next-line no-constant-condition
  while (true) {
    try {
      await initiateDB();
      log.info('MongoDB connected');
      return;
    } catch (error) {
      log.info(`Waiting for MongoDB... (${error.message})`);
      // eslint-disable-next-line no-await-in-loop
      await new Promise((resolve) => { setTimeout(resolve, 5000); });
    }
  }
}

async function closeDbConnection() {
  if (openDBConnection) {
    await openDBConnection.close();
    openDBConnection = null;
  }
}

module.exports = {
  closeDbConnection,
  connectMongoDb,
  databaseConnection,
  initiateDB,
  waitForMongo,
};
