import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLoadProgress } from '../../src/gate/history/loadProgress';
import { escapeMarkdown } from '../../src/gate/report/markdown';
import { escapeXml, lineChart, MAX_POINTS, thin } from '../../src/gate/report/svg';

/** A stream that says it is (or is not) a terminal and keeps what is written to it. */
function stream(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const writable = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & Record<string, unknown>;
  Object.assign(writable, {
    isTTY: tty,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    clearScreenDown: () => true,
  });
  return { stream: writable, text: () => text };
}

describe('gate reports: parts', () => {
  it('escapes markup for HTML and SVG', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).to.equal('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  const markdown: [string, string][] = [
    ['1.2.3', '1.2.3'],
    ['a|b', 'a&#124;b'],
    [
      '**bold** [link](http://x) `code`',
      '&#42;&#42;bold&#42;&#42; &#91;link&#93;&#40;http\u200b://x&#41; &#96;code&#96;',
    ],
    ['<img src=x>', '&#60;img src=x&#62;'],
    ['$\\huge{x}$', '&#36;&#92;huge&#123;x&#125;&#36;'],
    ['line\nbreak', 'line&#92;nbreak'],
    ['@everyone', '@\u200beveryone'],
    ['www.evil.example', 'www\u200b.evil.example'],
  ];
  for (const [raw, escaped] of markdown) {
    it(`escapes ${JSON.stringify(raw)} for a Markdown table cell`, () => {
      expect(escapeMarkdown(raw)).to.equal(escaped);
    });
  }

  it('thins a long timeline to at most MAX_POINTS, keeping the first and last points', () => {
    const points = Array.from({ length: 5 * MAX_POINTS + 3 }, (_, i) => i);
    const kept = thin(points);
    expect(kept.length).to.be.at.most(MAX_POINTS + 1);
    expect(kept[0]).to.equal(0);
    expect(kept[kept.length - 1]).to.equal(points.length - 1);
    expect(thin([1, 2, 3])).to.deep.equal([1, 2, 3]);
  });

  it('draws a line chart with a gap where a value is missing', () => {
    const times = ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z', '2026-01-01T03:00:00Z'];
    const svg = lineChart({
      title: 'T <x>',
      times,
      series: [{ label: 's', color: '#000', values: [0, 1, null, 0.5] }],
    });
    expect(svg).to.match(/^<svg class="chart" viewBox="0 0 \d+ \d+"/);
    expect(svg).to.contain('T &#60;x&#62;');
    const path = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(path.match(/M/g)).to.have.length(2);
    expect(path.match(/L/g)).to.have.length(1);
  });

  it('draws a progress bar while a long history loads, only on a terminal', () => {
    const terminal = stream(true);
    const progress = createLoadProgress(terminal.stream);
    progress.update(1, 100); // a small history: no bar
    expect(terminal.text()).to.equal('');
    progress.update(8 << 20, 16 << 20);
    progress.stop();
    expect(terminal.text()).to.contain('Loading history');
    const piped = stream(false);
    const quiet = createLoadProgress(piped.stream);
    quiet.update(8 << 20, 16 << 20);
    quiet.stop();
    expect(piped.text()).to.equal('');
  });
});
