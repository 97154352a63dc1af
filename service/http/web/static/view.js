// Rendering: the progress timeline, the conversation, the history. Text only (textContent), never
// HTML from the service.

const STAGES = {
  triage: "Understanding the question",
  data: "Reading your usage",
  optimization: "Finding savings",
  report: "Writing the answer",
};
const FAILURES = {
  timeout: "The assistant ran out of time",
  tool_failed: "A step failed",
  llm_unavailable: "The writing assistant is unavailable",
  interrupted: "The question was interrupted",
  internal: "Something went wrong on our side",
};

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("data-") || name.startsWith("aria-") || name === "role") {
      node.setAttribute(name, value);
    } else node[name] = value;
  }
  node.append(...children);
  return node;
}

function inLine(queued) {
  return `You are number ${queued.position} in line`;
}

// Events that only repeat the line before them (the place in line as it moves, "still reading
// your usage" while a step takes long) update that line instead of adding one a second.
function repeatKey(frame) {
  const p = frame.payload || {};
  if (p.queued) return "line";
  return frame.type === "agent_thinking" ? `thinking:${frame.step || ""}:${p.text || ""}` : "";
}

function stage(frame) {
  return STAGES[frame.step] || (frame.step ? frame.step : "");
}

// One event as one step: which stage, which tool, done or failed.
export function describe(frame) {
  const p = frame.payload || {};
  switch (frame.type) {
    case "agent_started":
      return p.queued
        ? { status: "started", title: "Waiting in line", detail: inLine(p.queued) }
        : { status: "started", title: "The assistant started", detail: "" };
    case "agent_thinking":
      if (p.queued) return { status: "started", title: "Waiting in line", detail: inLine(p.queued) };
      return { status: "thinking", title: stage(frame) || "Thinking", detail: p.text || "" };
    case "tool_executing":
      return { status: "running", title: `${stage(frame) || "Working"}: ${p.tool}`, detail: "Running…" };
    case "tool_completed": {
      const ok = p.status === "ok";
      const took = Number.isFinite(p.duration_ms) ? ` in ${p.duration_ms} ms` : "";
      return {
        status: ok ? "done" : "failed",
        title: `${stage(frame) || "Working"}: ${p.tool} ${ok ? "done" : "failed"}${took}`,
        detail: p.summary || "",
      };
    }
    case "agent_completed":
      return { status: "done", title: "Answer ready", detail: "" };
    case "agent_error":
      return {
        status: "failed",
        title: FAILURES[p.error] || "The assistant failed",
        detail: p.message || "",
      };
    default:
      return { status: "info", title: frame.type, detail: "" };
  }
}

export class Timeline {
  constructor(list) {
    this.list = list;
    this.runId = null;
  }

  clear() {
    this.list.replaceChildren();
    this.runId = null;
  }

  add(frame) {
    if (frame.run_id !== this.runId) {
      this.list.replaceChildren();
      this.runId = frame.run_id;
    }
    const { status, title, detail } = describe(frame);
    const key = repeatKey(frame);
    const last = this.list.lastElementChild;
    if (key && last?.dataset.repeat === key && Number(last.dataset.seq) === frame.seq - 1) {
      // data-from..data-seq: the events this line stands for.
      last.dataset.seq = frame.seq;
      last.querySelector(".title").textContent = title;
      last.querySelector(".detail").textContent = detail;
      return;
    }
    const item = el(
      "li",
      {
        className: `step ${status}`,
        "data-kind": frame.type,
        "data-seq": frame.seq,
        "data-from": frame.seq,
        "data-run": frame.run_id,
        "data-repeat": key || undefined,
      },
      el("span", { className: "mark", "aria-hidden": "true" }),
      el("span", { className: "title", text: title }),
      el("span", { className: "detail", text: detail }),
    );
    // Keep seq order even if a replayed event lands after a later live one.
    const later = [...this.list.children].find((li) => Number(li.dataset.seq) > frame.seq);
    this.list.insertBefore(item, later || null);
    if (frame.type === "tool_completed") {
      const started = this.list.querySelector(
        `li[data-kind="tool_executing"][data-tool-call="${CSS.escape(frame.tool_call_id || "")}"]`,
      );
      started?.classList.add("finished");
      started?.querySelector(".detail")?.remove();
    }
    if (frame.type === "tool_executing") item.dataset.toolCall = frame.tool_call_id || "";
  }
}

const MONEY = /\$[0-9][0-9,]*\.[0-9]{2}/;
const SPENT = new RegExp(`spent (${MONEY.source})`);
const SAVE = new RegExp(`save about (${MONEY.source}) a month`);

export function figures(text) {
  const spent = text.match(SPENT)?.[1];
  const save = text.match(SAVE)?.[1];
  if (!spent && !save) return null;
  const list = el("dl", { className: "figures" });
  if (spent) list.append(el("div", {}, el("dt", { text: "Spent in the last 30 days" }), el("dd", { text: spent })));
  if (save) list.append(el("div", {}, el("dt", { text: "You can save" }), el("dd", { text: `${save} a month` })));
  return list;
}

export function message(role, text, { messageId, pending } = {}) {
  const who = role === "user" ? "You" : "Assistant";
  const item = el("li", { className: `message ${role}`, "data-role": role, "data-message": messageId });
  item.append(el("p", { className: "who", text: who }));
  if (role === "assistant") {
    const summary = figures(text);
    if (summary) item.append(summary);
  }
  item.append(el("p", { className: "text", text }));
  if (pending) item.append(el("p", { className: "pending", text: "Sending…" }));
  return item;
}

export function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}
