/**
 * Test-only: the boot service with its seams (clock, random source, exit, process context, checkout port,
 * background timings). The package entry (src/index.ts) does not export it and package.json's `exports` names
 * only `.`, so no host can change production timing or randomness through it.
 */
export { createService as createTestService } from './boot/service';
export type { ServiceOptions as TestServiceOptions, ServiceSeams } from './boot/service';
