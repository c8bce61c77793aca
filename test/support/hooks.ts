// Mocha root hooks: whatever server a suite started is stopped once, at the end.
import * as sinon from 'sinon';
import { stopMongoServer } from './mongoServer';

export const mochaHooks = {
  afterEach(): void {
    sinon.restore();
  },
  async afterAll(): Promise<void> {
    await stopMongoServer();
  },
};
