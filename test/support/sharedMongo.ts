// The opt-in global setup of the full parallel run (`npm test`, .mocharc.json):
// parallel workers are separate processes, so a lazy start in each would start one
// server per worker. The main process starts one before forking them and passes its
// address in the environment; the teardown in hooks.ts stops it.
import { startSharedMongoServer } from './mongoServer';

export async function mochaGlobalSetup(): Promise<void> {
  await startSharedMongoServer();
}
