// `allure generate`, with the quality gate's verdicts in the report's own Quality Gates tab.
//
//     node tools/allure_report.mjs RESULTS_DIR OUTPUT_DIR [CONFIG]     (from the repository root)
//
// Allure 3.18 fills that tab only in `allure run` and `allure quality-gate`, whose rule engine
// needs Node 22 (Iterator.prototype.toArray); `allure generate` leaves it empty. This does what
// `generate` does (Allure's own AllureReport, the same config) and hands the report, as
// `allure run` does, the results of the gate: tools/quality_gate.py's verdicts, rule by rule
// (reports/quality-gate.json), so the tab and the gate that decided the run never disagree.
import { readFileSync } from "node:fs";
import { AllureReport, readConfig } from "@allurereport/core";

const GATE_FILE = "reports/quality-gate.json";
const [resultsDir, output, configPath] = process.argv.slice(2);
if (!resultsDir || !output) {
  console.error("usage: node tools/allure_report.mjs RESULTS_DIR OUTPUT_DIR [CONFIG]");
  process.exit(2);
}

// Allure's QualityGateValidationResult for each rule the gate judged; none when it never ran.
const gateResults = () => {
  let gate;
  try {
    gate = JSON.parse(readFileSync(GATE_FILE, "utf-8"));
  } catch {
    return [];
  }
  return (gate.rules ?? []).map((rule) => ({
    rule: rule.rule,
    success: rule.success,
    expected: rule.expected,
    actual: rule.actual,
    message: rule.message,
    testResults: [],
  }));
};

const config = await readConfig(process.cwd(), configPath, { output });
const report = new AllureReport(config);
await report.start();
await report.readDirectory(resultsDir);
const results = gateResults();
if (results.length) {
  report.realtimeDispatcher.sendQualityGateResults(results);
}
await report.done();
console.log(`Allure report: ${results.length} quality gate rules, written to ${output}`);
