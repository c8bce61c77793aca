import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createProgress } from '../../src/fleet/progress';

/** A stream that records what is written, posing as a terminal or as a pipe. */
function recorder(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 100 });
  return { stream, text: () => chunks.join('') };
}

describe('fleet progress', () => {
  it('draws a bar on a terminal and clears it on stop', async () => {
    const { stream, text } = recorder(true);
    const progress = createProgress(stream, 200);
    progress.update(100);
    await new Promise((resolve) => setTimeout(resolve, 250));
    progress.update(200);
    progress.stop();
    progress.stop();
    expect(text()).to.match(/Scanning .*\/200 nodes/);
    expect(text()).to.include('100/200');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { stream, text } = recorder(false);
    const progress = createProgress(stream, 200);
    progress.update(100);
    progress.stop();
    expect(text()).to.equal('');
  });

  it('leaves SIGINT to the CLI', () => {
    const before = process.listenerCount('SIGINT');
    const { stream } = recorder(true);
    const progress = createProgress(stream, 10);
    expect(process.listenerCount('SIGINT')).to.equal(before);
    progress.stop();
  });
});
