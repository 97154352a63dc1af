// Usage records from a CSV file, parsed in the browser (RFC 4180 quoting, header row first).

const COLUMNS = {
  day: "day",
  date: "day",
  model: "model",
  feature: "feature",
  requests: "requests",
  input_tokens: "input_tokens",
  output_tokens: "output_tokens",
  cost: "cost_usd",
  cost_usd: "cost_usd",
};
const REQUIRED = ["day", "model", "feature", "requests", "input_tokens", "output_tokens", "cost_usd"];
const WHOLE = new Set(["requests", "input_tokens", "output_tokens"]);

export class CsvError extends Error {}

export function parseRows(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (quoted) throw new CsvError("A quoted value is never closed");
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((v) => v.trim() !== ""));
}

function header(name) {
  return COLUMNS[name.trim().toLowerCase().replace(/[\s-]+/g, "_")];
}

function number(value, column, line) {
  const text = value.replace(/[$,\s]/g, "");
  const n = Number(text);
  if (text === "" || !Number.isFinite(n) || n < 0 || (WHOLE.has(column) && !Number.isInteger(n))) {
    throw new CsvError(`Line ${line}: ${column.replace("_", " ")} "${value}" is not a valid amount`);
  }
  return n;
}

export function usageRecords(text) {
  const [head, ...body] = parseRows(text.replace(/^\uFEFF/, ""));
  if (!head) throw new CsvError("The file is empty");
  const names = head.map(header);
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length) {
    throw new CsvError(`Missing column(s): ${missing.map((c) => c.replace("_", " ")).join(", ")}`);
  }
  if (!body.length) throw new CsvError("The file has no rows of usage");
  return body.map((cells, index) => {
    const line = index + 2;
    const record = {};
    names.forEach((column, i) => {
      if (!column) return;
      const value = (cells[i] ?? "").trim();
      if (column === "day") {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
          throw new CsvError(`Line ${line}: day "${value}" is not a date like 2025-01-31`);
        }
        record.day = value;
      } else if (column === "model" || column === "feature") {
        if (!value) throw new CsvError(`Line ${line}: ${column} is empty`);
        record[column] = value;
      } else record[column] = number(value, column, line);
    });
    return record;
  });
}
