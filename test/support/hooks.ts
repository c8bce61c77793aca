// Mocha hooks for every run. The MongoDB-protocol server is not started here:
// the first suite that calls requireMongo() starts it (test/support/mongoServer.ts),
// so `npm run test:unit` and a one-file run of a pure unit file start no database.
// The global teardown stops a server this process started, if any.
import * as sinon from 'sinon';
import { stopMongoServer } from './mongoServer';

export async function mochaGlobalTeardown(): Promise<void> {
  await stopMongoServer();
}

export const mochaHooks = {
  afterEach(): void {
    sinon.restore();
  },
};
