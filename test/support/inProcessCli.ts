/**
 * The CLI's `main()` run in this process with its output captured: for suites that run many commands
 * (hourly `fleet --record --at` and `gate` over a hand-built history) where a process per command would
 * dominate the run. The CLI's own behaviour as a process is tested through test/support/cli.ts.
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

export async function cliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}
