const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const E2E = `${path.sep}test${path.sep}e2e${path.sep}`;

/**
 * Jest's order (failed first, then longest first by the last run's times, then the biggest files),
 * except that end-to-end files it has no time for go first: each starts a stack of processes
 * that runs beside the unit tests, and a small file that drives a long suite (embedded-stack)
 * would otherwise start last and leave the other worker idle at the end of a clean clone's run.
 */
class EndToEndFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const first = sorted.filter((test) => test.duration == null && test.path.includes(E2E));
    return [...first, ...sorted.filter((test) => !first.includes(test))];
  }
}

module.exports = EndToEndFirst;
