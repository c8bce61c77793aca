// Preloaded into a stand-in FluxOS (`node --require …/countMongoClients.js app.js`) to count the MongoDB
// clients the process connects, from FluxOS or from the package: the first MongoClient#connect() of each
// client of the tree's own `mongodb` appends "start N", then "ok N" or "fail N", to $MONGO_CLIENT_LOG
// (the driver calls connect() again on a connected client before operations: those are not counted).
'use strict';

const fs = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');

const { MongoClient } = createRequire(path.join(process.cwd(), 'app.js'))('mongodb');
const original = MongoClient.prototype.connect;
const ids = new WeakMap();
let next = 0;

function note(line) {
  fs.appendFileSync(process.env.MONGO_CLIENT_LOG, `${line}\n`);
}

MongoClient.prototype.connect = function countedConnect(...args) {
  if (ids.has(this)) return original.apply(this, args);
  next += 1;
  ids.set(this, next);
  const id = next;
  note(`start ${id}`);
  return original.apply(this, args).then(
    (client) => {
      note(`ok ${id}`);
      return client;
    },
    (error) => {
      note(`fail ${id}`);
      throw error;
    },
  );
};
