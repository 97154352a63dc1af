// Allure 3 configuration, read by `npx allure generate` from the repository root.
// No package imports (only Node's own modules), so the file loads even before `npm ci`; the
// schema is `Config` from @allurereport/plugin-api (see node_modules/allure/dist/index.d.ts).
//
// Paths resolve against the current directory: run Allure from the repository root.
// Where things come from:
// - epics, stories, severity, descriptions, issue links, skip reasons: the behave results
//   (fixtures/allure_labels.py); the issue URL pattern lives in behave.ini because Allure 3 has
//   no link templates for test results (its `resolutions.links` only serve known-issue rules);
// - the environment (versions, commit, target, tags): environment.properties, written by the
//   suite (fixtures/run_facts.py);
// - the capability overview: reports/capabilities.{html,csv} (tools/capabilities.py);
// - the quality gate's verdict: reports/quality-gate.json (tools/quality_gate.py).
import { readFileSync } from "node:fs";

const env = process.env;

// What tools/quality_gate.py decided for the last run; null when it never ran.
const gate = (() => {
  try {
    return JSON.parse(readFileSync("reports/quality-gate.json", "utf-8"));
  } catch {
    return null;
  }
})();

// One line for the top of the report; the same verdicts, rule by rule, fill Allure's own
// "Quality Gates" tab (tools/allure_report.mjs).
const gateSummary = (g) =>
  g.ok
    ? `passed (${g.expected} selected, all reported)`
    : `FAILED: ${g.failures.join(" | ")}`;

export default {
  // The report title; `--name` on the command line or ALLURE_REPORT_NAME overrides it.
  name: env.ALLURE_REPORT_NAME || "Golden Path acceptance",
  resultsDir: "reports/allure-results",
  output: "reports/allure-report",

  // History: one JSON line per generated report, so the report shows trends and
  // flaky/new tests across runs. Kept outside the report so a rebuild keeps it;
  // CI restores it from its cache (.github/workflows/acceptance.yml).
  historyPath: "reports/history.jsonl",
  historyLimit: 20,
  // `make report` re-renders the last run: ALLURE_APPEND_HISTORY=0 stops a duplicate entry.
  appendHistory: env.ALLURE_APPEND_HISTORY !== "0",

  // Shown at the top of the report, above the run's environment (environment.properties).
  variables: {
    Suite: "behave acceptance",
    Capabilities: "see Global Attachments",
    ...(gate ? { "Quality gate": gateSummary(gate) } : {}),
    ...(env.CI ? { CI: env.CI } : {}),
  },

  // Attached to the report as a whole (the "Global Attachments" tab).
  globalAttachments: ["reports/capabilities.html", "reports/capabilities.csv"],

  // Failures grouped by cause; the first matching rule wins. allure-behave reports an
  // AssertionError (a `Then` that did not hold, a broken chat contract) as failed and any other
  // exception as broken.
  categories: [
    {
      // Known flaky scenarios (@quarantine, each with its issue): they run and show here, passed
      // or not, and fail no gate (tools/quality_gate.py). First, so a failure lands here.
      name: "Quarantined (known flaky)",
      matchers: { labels: { tag: /^quarantine$/ } },
      groupBy: ["status"],
      expand: true,
    },
    {
      name: "Product defects",
      matchers: { statuses: ["failed"] },
      groupBy: ["severity"],
      expand: true,
    },
    {
      // The stack or the network under the suite: nothing the product did wrong, and nothing a
      // scenario can judge. Connection errors, timeouts, a stack that did not start.
      name: "Infrastructure errors",
      matchers: [
        {
          statuses: ["broken"],
          message:
            /Connect(ion)?(Refused|Reset|or)?Error|ClientConnectorError|ServerDisconnected|TimeoutError|StartError|Errno (98|99|104|110|111)|Cannot connect|No space left/,
        },
        {
          statuses: ["broken"],
          trace: /fixtures\/(stack|postgres|redis|services)\.py/,
        },
      ],
      groupByMessage: true,
    },
    {
      // The suite's own code: a step that raised, an undefined step, a hook error.
      name: "Suite errors",
      matchers: { statuses: ["broken"] },
      groupByMessage: true,
    },
  ],

  plugins: {
    awesome: {
      options: {
        // One self-contained index.html: opens from disk, attaches to CI as one file.
        singleFile: true,
        reportLanguage: "en",
        groupBy: ["epic", "feature"],
      },
    },
  },
};
