/** `npm run test:browser`: the console in a real Chromium against a running stack (not part of `npm test`). */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/browser/**/*.browser.ts'],
  testTimeout: 600000,
};
