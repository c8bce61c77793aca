/**
 * A supervisor like systemd's Restart=always (or pm2): runs a command and
 * starts it again whenever it exits, at most `maxStarts` times in all, so a
 * restart bug cannot loop forever. No delay between starts.
 *
 *   node respawner.js <maxStarts> <program> [args...]
 *
 * The child shares our stdout/stderr. Each exit is reported on stderr.
 */
import { spawn } from 'node:child_process';

function main(argv: string[]): void {
  const maxStarts = Number.parseInt(argv[0] ?? '', 10);
  const [program, ...args] = argv.slice(1);
  if (!Number.isInteger(maxStarts) || maxStarts < 1 || !program) {
    process.stderr.write('usage: respawner <maxStarts> <program> [args...]\n');
    process.exit(2);
  }
  let starts = 0;
  let stopping = false;
  let child: ReturnType<typeof spawn> | null = null;

  const start = (): void => {
    starts += 1;
    child = spawn(program, args, { stdio: 'inherit' });
    child.on('exit', (code, signal) => {
      process.stderr.write(
        `respawner: child exited (code ${code}, signal ${signal}); start ${starts} of ${maxStarts}\n`,
      );
      child = null;
      if (stopping) process.exit(0);
      if (starts >= maxStarts) {
        process.stderr.write('respawner: giving up\n');
        process.exit(3);
      }
      start();
    });
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      if (child) child.kill(signal);
      else process.exit(0);
    });
  }
  start();
}

main(process.argv.slice(2));
