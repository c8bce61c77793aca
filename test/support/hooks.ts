// Mocha hooks. The MongoDB-protocol server is started once for the whole run in
// the global setup (main process), so parallel workers share it, and stopped in
// the global teardown.
import * as sinon from 'sinon';
import { startSharedMongoServer, stopMongoServer } from './mongoServer';

export async function mochaGlobalSetup(): Promise<void> {
  await startSharedMongoServer();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopMongoServer();
}

export const mochaHooks = {
  afterEach(): void {
    sinon.restore();
  },
};
