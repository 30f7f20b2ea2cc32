/**
 * Prints one plain closing line, `jest: N passed, N failed, N skipped`, after the run, in the form CI reads
 * from any test runner (Jest's own summary line is not in that form).
 */
class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A file that fails before any test runs (a syntax error, no tests) has no failed test: count it as one.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

module.exports = SummaryLineReporter;
