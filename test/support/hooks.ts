// Mocha root hooks; filled in with the MongoDB-protocol server lifecycle.
export const mochaHooks = {};
