// The mutation score of each unit from its Stryker JSON report (reports/mutation/<unit>.json), as CONTRIBUTING.md
// lists them: killed and timed-out mutants over all mutants that ran or had no test. Exits 1 below THRESHOLD.
import { readFileSync } from 'node:fs';

const THRESHOLD = 80;
const units = process.argv.slice(2);
let below = 0;
console.log('| unit | score | killed | timed out | survived | no coverage |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const unit of units) {
  const report = JSON.parse(readFileSync(`reports/mutation/${unit}.json`, 'utf8'));
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
  for (const file of Object.values(report.files))
    for (const mutant of file.mutants) if (mutant.status in count) count[mutant.status] += 1;
  const detected = count.Killed + count.Timeout;
  const score = (100 * detected) / (detected + count.Survived + count.NoCoverage);
  if (score < THRESHOLD) below += 1;
  console.log(
    `| ${unit} | ${score.toFixed(1)}% | ${count.Killed} | ${count.Timeout} | ${count.Survived} | ${count.NoCoverage} |`,
  );
}
if (below > 0) {
  console.error(`${below} unit(s) below ${THRESHOLD}%`);
  process.exit(1);
}
