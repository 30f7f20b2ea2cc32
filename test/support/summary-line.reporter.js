/**
 * Prints one plain closing line, `jest: N passed, N failed, N skipped`, after the run, in the form CI reads
 * from any test runner (Jest's own summary line is not in that form).
 */
class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}

module.exports = SummaryLineReporter;
