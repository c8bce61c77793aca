import { expect } from 'chai';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPreprodService, type PreprodServiceOptions } from '../../../src/boot/service';
import { createTestService } from '../../../src/testing';
import { FakeCheckout } from '../../support/fakeCheckout';
import { MemoryStore } from '../../support/memoryStore';

describe("the package entry's factory (createPreprodService) takes a host's options only", function () {
  // A directory that is no checkout: real git refuses it, the fake checkout would not.
  const notACheckout = path.join(os.tmpdir(), `fluxos-preprod-not-a-checkout-${process.pid}`);
  const options = () => ({
    repoDir: notACheckout,
    store: new MemoryStore(),
    settings: { preProd: { restart: 'none' } },
    userconfig: { initial: {} },
    logger: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
    armHealthyTimer: false,
    backgroundChecks: false,
  });

  it('drops a test seam passed from JavaScript: the fake checkout is never asked, git is', async function () {
    const fake = new FakeCheckout({ branch: 'master' }, notACheckout);
    const seams = { repository: fake, random: () => 0.01, now: () => new Date(0) };
    const service = createPreprodService({ ...options(), ...seams } as PreprodServiceOptions);
    const result = await service.status();
    expect(fake.calls).to.deep.equal([]);
    expect(result.reason).to.equal('repo-unreadable');
  });

  it('while the test-only factory (src/testing.ts) takes the seam', async function () {
    const fake = new FakeCheckout({ branch: 'master' }, notACheckout);
    const service = createTestService({ ...options(), repository: fake });
    await service.status();
    expect(fake.calls[0]).to.equal('head');
  });

  it('says in one warning which options it ignores, escaped; host options alone give none', async function () {
    const warnings: string[] = [];
    const logger = { ...options().logger, warn: (line: string) => warnings.push(line) };
    createPreprodService({ ...options(), logger });
    expect(warnings).to.deep.equal([]);
    const odd = { random: () => 0.01, 'repoDri\u001b[31m': '/x' };
    createPreprodService({ ...options(), logger, ...odd } as PreprodServiceOptions);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/^\[preprod\] createPreprodService ignores `random`, `repoDri.*`: not options/);
    expect(warnings[0]).to.not.include('\u001b');
  });

  it('never throws for options it cannot list', function () {
    const hostile = new Proxy(options(), {
      ownKeys: () => {
        throw new Error('no keys for you');
      },
    });
    expect(() => createPreprodService(hostile as PreprodServiceOptions)).to.not.throw();
  });
});
