/**
 * A stand-in for FluxOS's app.js, committed to both branches of a git bed, so
 * a real supervisor (nodemon, or a respawner like systemd) runs it from the
 * checkout. It says which branch's code runs (package.json's version: 1.0.0
 * on master, 1.1.0 on preprod), then runs the real boot step from this
 * package's build, and stays up like FluxOS does.
 *
 * It speaks one JSON object per stdout line, prefixed with EVENT_PREFIX, each
 * stamped with the process's own clock (`at`) and pid, so the test measures
 * switch → new code from the processes themselves, not from pipe arrival.
 */

export const EVENT_PREFIX = '@@ ';

/** What the test hands the app through the RESTART_TEST_CONFIG variable. */
export interface BedAppConfig {
  /** Absolute path of build/src/index.js. */
  index: string;
  /** The bed's upstream repository. */
  remote: string;
  /** FileStateStore path, outside the checkout (a switch removes untracked files). */
  store: string;
  restart: 'none' | 'nodemon' | 'exit' | 'auto';
  /** Run when package.json changed in a switch. Default ['true']. */
  installCommand?: string[];
}

export const CONFIG_VARIABLE = 'RESTART_TEST_CONFIG';

interface Stamped {
  /** Date.now() in the app when it printed the line. */
  at: number;
  pid: number;
}
export interface StartedEvent extends Stamped {
  event: 'started';
  version: string;
  /** Whether node_modules/dep/ok existed when this process started: which install its code runs with. */
  depInstalled: boolean;
}
export interface DetectedEvent extends Stamped {
  event: 'detected';
  strategy: string;
  why: string;
  ancestors: string[];
}
export interface LogEvent extends Stamped {
  event: 'log';
  level: string;
  message: string;
}
export interface BootEvent extends Stamped {
  event: 'boot';
  result: {
    mode: string;
    reason: string;
    restart: string;
    branch: { before: string | null; after: string | null; switched: boolean };
  };
}
export type BedAppEvent = StartedEvent | DetectedEvent | LogEvent | BootEvent;

export const BED_APP_SOURCE = `'use strict';
// Test stand-in for FluxOS: print which code runs, run the real boot step, stay up.
const fs = require('node:fs');
const path = require('node:path');
const emit = (event) => {
  const stamped = { ...event, at: Date.now(), pid: process.pid };
  process.stdout.write(${JSON.stringify(EVENT_PREFIX)} + JSON.stringify(stamped) + '\\n');
};
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
const depInstalled = fs.existsSync(path.join(__dirname, 'node_modules', 'dep', 'ok'));
emit({ event: 'started', version, depInstalled });
const config = JSON.parse(process.env.${CONFIG_VARIABLE});
const { FileStateStore } = require(config.index);
// The fixed draw is a test seam: the package entry does not take it, the test-only factory does.
const { createTestService } = require(path.join(path.dirname(config.index), 'testing.js'));
const strategyModule = path.join(path.dirname(config.index), 'restart', 'strategy.js');
const { detectRestartStrategy, readProcessContext } = require(strategyModule);
const context = readProcessContext();
emit({ event: 'detected', ...detectRestartStrategy(config.restart, context), ancestors: context.ancestors });
const log = (level) => (message) => emit({ event: 'log', level, message });
const service = createTestService({
  repoDir: __dirname,
  store: new FileStateStore(config.store),
  settings: {
    preProd: {
      remote: config.remote,
      probability: 1,
      restart: config.restart,
      fetchTimeoutMs: 5000,
      installCommand: config.installCommand || ['true'],
    },
  },
  logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') },
  random: () => 0.03,
  armHealthyTimer: false,
});
service.runAtBoot().then((result) => emit({ event: 'boot', result }));
// FluxOS keeps serving; so does this, until its supervisor restarts or stops it.
setInterval(() => undefined, 60 * 60 * 1000);
`;
