/**
 * Debian's /usr/bin/chromium driven by playwright-core, for the suites that check HTML in a real browser.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches it in a suite's `before` hook. .ci/run installs it, so under CI a missing browser fails the suite;
 * a developer machine without it skips the suite and says so instead of passing silently.
 */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`CI needs ${CHROMIUM} (apt-get install chromium).`);
    console.log(`      (pending: no ${CHROMIUM}; apt-get install chromium)`);
    context.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
