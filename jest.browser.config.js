/**
 * The browser suite (`npm run test:browser`): the demo's status and onboarding page in headless Chromium
 * (Debian's, driven by playwright-core), on its own because it needs the browser installed.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testRegex: '.*\\.browser-spec\\.ts$',
};
