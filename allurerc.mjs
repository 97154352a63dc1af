// Allure 3 configuration, read by `npx allure generate` from the repository root.
// Plain object (no import) so the file loads even before `npm ci`; the schema is
// `Config` from @allurereport/plugin-api (see node_modules/allure/dist/index.d.ts).
//
// Paths resolve against the current directory: run Allure from the repository root.
const env = process.env;

export default {
  // The report title; `--name` on the command line or ALLURE_REPORT_NAME overrides it.
  name: env.ALLURE_REPORT_NAME || "Golden Path acceptance",
  resultsDir: "reports/allure-results",
  output: "reports/allure-report",

  // History: one JSON line per generated report, so the report shows trends and
  // flaky/new tests across runs. Kept outside the report so a rebuild keeps it;
  // CI starts with none unless it restores this file.
  historyPath: "reports/history.jsonl",
  historyLimit: 20,
  // `make report` re-renders the last run: ALLURE_APPEND_HISTORY=0 stops a duplicate entry.
  appendHistory: env.ALLURE_APPEND_HISTORY !== "0",

  // Shown at the top of the report. Per-run facts (service URL, versions) belong in
  // reports/allure-results/environment.properties, written by environment.py.
  variables: {
    Suite: "behave acceptance",
    ...(env.CI ? { CI: env.CI } : {}),
  },

  // Failures grouped by cause; the first matching rule wins.
  categories: [
    { name: "Product errors", matchers: { statuses: ["failed"] }, groupBy: ["severity"] },
    { name: "Test errors", matchers: { statuses: ["broken"] } },
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
