import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PreprodError } from '../../src/errors';
import { runInstall } from '../../src/restart/install';

/** Alive and not a zombie (a zombie is dead for our purpose, whoever reaps it). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return true;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function rejection(promise: Promise<unknown>): Promise<PreprodError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(PreprodError);
    return error as PreprodError;
  }
  throw new Error('Expected the promise to reject.');
}

describe('runInstall', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxos-preprod-install-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs the command in the checkout, without a shell, and reports its duration', async () => {
    const script =
      "require('fs').writeFileSync('ran.json', JSON.stringify({ cwd: process.cwd(), args: process.argv.slice(1) }))";
    const result = await runInstall(dir, [process.execPath, '-e', script, '$HOME', 'a b;echo x'], 10_000);
    expect(result.ms).to.be.a('number').and.at.least(0);
    const ran = JSON.parse(await fs.readFile(path.join(dir, 'ran.json'), 'utf8'));
    expect(await fs.realpath(ran.cwd)).to.equal(await fs.realpath(dir));
    // No shell: nothing expanded, nothing split.
    expect(ran.args).to.deep.equal(['$HOME', 'a b;echo x']);
  });

  it('gets the filtered environment git gets: no GIT_DIR, GIT_CONFIG_*, GIT_EXTERNAL_DIFF, npm_config_*', async () => {
    const hostile: Record<string, string> = {
      GIT_DIR: '/elsewhere/.git',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: '/tmp/evil-hooks',
      GIT_EXTERNAL_DIFF: '/tmp/evil',
      npm_config_registry: 'http://evil.invalid/',
      npm_config_script_shell: '/tmp/evil-shell',
    };
    const saved = Object.keys(hostile).map((key) => [key, process.env[key]] as const);
    Object.assign(process.env, hostile);
    const script = "require('fs').writeFileSync('env.json', JSON.stringify(process.env))";
    try {
      await runInstall(dir, [process.execPath, '-e', script], 10_000);
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    const env = JSON.parse(await fs.readFile(path.join(dir, 'env.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(env).filter((key) => key in hostile)).to.deep.equal([]);
    expect(env.PATH).to.equal(process.env.PATH);
  });

  it('fails with install-failed, the exit code and the last stderr line', async () => {
    const script =
      "console.error('npm WARN something'); console.error('\\u001b[31mnpm ERR! code E404\\u001b[0m'); process.exit(3)";
    const error = await rejection(runInstall(dir, [process.execPath, '-e', script], 10_000));
    expect(error.kind).to.equal('install-failed');
    expect(error.message).to.match(/failed with exit code 3: npm ERR! code E404\.$/);
    expect(error.message.split('\n')).to.have.length(1);
  });

  it('says so when there is no error output', async () => {
    const error = await rejection(runInstall(dir, [process.execPath, '-e', 'process.exit(1)'], 10_000));
    expect(error.message).to.match(/exit code 1 \(no error output\)\.$/);
  });

  it('fails with install-failed when the command does not exist', async () => {
    const error = await rejection(runInstall(dir, ['fluxos-preprod-no-such-command'], 10_000));
    expect(error.kind).to.equal('install-failed');
    expect(error.message).to.match(/could not start: .*ENOENT/);
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    // The child starts a grandchild in its group (like npm starting a lifecycle script), then both hang.
    const script = [
      "const { spawn } = require('child_process');",
      "const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));`,
      "console.error('still resolving dependencies');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const error = await rejection(runInstall(dir, [process.execPath, '-e', script], 1200));
    expect(error.kind).to.equal('install-failed');
    expect(error.message).to.match(/timed out after 1200 ms: still resolving dependencies\.$/);
    const grandchild = Number(await fs.readFile(pidFile, 'utf8'));
    expect(await isRunning(grandchild)).to.equal(false);
  });

  it('escalates to SIGKILL for a group that ignores SIGTERM', async () => {
    const pidFile = path.join(dir, 'stubborn.pid');
    const script =
      "process.on('SIGTERM', () => {}); " +
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
    const error = await rejection(runInstall(dir, [process.execPath, '-e', script], 800));
    expect(error.message).to.match(/timed out after 800 ms/);
    expect(await isRunning(Number(await fs.readFile(pidFile, 'utf8')))).to.equal(false);
  });

  it('takes the install along when the host process exits mid-install', async () => {
    const pidFile = path.join(dir, 'install.pid');
    const install =
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); ` + 'setInterval(() => {}, 1000);';
    // A host that starts the install and then exits (as a restart would), without awaiting it.
    const installModule = JSON.stringify(path.resolve(__dirname, '../../src/restart/install.js'));
    const host = [
      `const { runInstall } = require(${installModule});`,
      `runInstall(${JSON.stringify(dir)}, [process.execPath, '-e', ${JSON.stringify(install)}], 60000)`,
      '  .catch(() => {});',
      `const fs = require('fs');`,
      'const wait = setInterval(() => {',
      `  if (fs.existsSync(${JSON.stringify(pidFile)})) { clearInterval(wait); process.exit(0); }`,
      '}, 20);',
    ].join('\n');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', host], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    const installPid = Number(await fs.readFile(pidFile, 'utf8'));
    // Only catches a hang: the kill is asserted below, not how fast it came.
    const deadline = Date.now() + 15_000;
    while ((await isRunning(installPid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await isRunning(installPid)).to.equal(false);
  });

  const badArgs: Array<{ name: string; argv: unknown; timeout: number }> = [
    { name: 'an empty command', argv: [], timeout: 1000 },
    { name: 'a command that is a string', argv: 'npm install', timeout: 1000 },
    { name: 'a non-string argument', argv: ['npm', 3], timeout: 1000 },
    { name: 'a zero timeout', argv: ['npm'], timeout: 0 },
  ];
  for (const bad of badArgs) {
    it(`rejects ${bad.name} with config-invalid`, async () => {
      const error = await rejection(runInstall(dir, bad.argv as string[], bad.timeout));
      expect(error.kind).to.equal('config-invalid');
      expect(error.message).to.match(/^Expected `install(Command|TimeoutMs)` to be/);
    });
  }
});
