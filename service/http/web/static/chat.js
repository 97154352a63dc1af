// The live chat (chat.v1 over a WebSocket): the browser handshake, questions resent until they are
// confirmed, reconnection with `resume`, and each run's events delivered once, in order.

const PROTOCOL = "chat.v1";
const PING_EVERY_MS = 20000;
const PONG_WITHIN_MS = 10000;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];

// 1013 "busy; retry after N s": a crowd opening the chat at once; a browser cannot read a refused
// handshake's Retry-After, so the service says it in the close (3 s when it does not).
function comeBackInMs(reason) {
  const seconds = Number(/retry after (\d+)/.exec(reason)?.[1]);
  return (seconds > 0 ? seconds : 3) * 1000;
}

function newId() {
  return crypto.randomUUID();
}

class Run {
  constructor(runId, threadId) {
    this.runId = runId;
    this.threadId = threadId;
    this.seen = new Set();
    this.final = false;
  }

  get lastInOrder() {
    let seq = 0;
    while (this.seen.has(seq + 1)) seq += 1;
    return seq;
  }
}

export class Chat {
  // handlers: event(frame, isNew), ack(frame), status(state, detail), problem(code, frame),
  // passRejected() -> Promise<bool> (true: a fresh pass is in hand), resync(run) -> events
  constructor({ url, pass, handlers }) {
    this.url = url;
    this.pass = pass; // () => current pass
    this.on = handlers;
    this.ws = null;
    this.runs = new Map();
    this.pending = new Map(); // client_msg_id -> {text, thread_id}, until acked
    this.attempt = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopTimers();
    if (this.ws) this.ws.close(1000, "signed out");
    this.ws = null;
    this.pending.clear();
    this.runs.clear();
  }

  ask(text, threadId) {
    const clientMsgId = newId();
    const frame = { type: "send", client_msg_id: clientMsgId, text };
    if (threadId) frame.thread_id = threadId;
    this.pending.set(clientMsgId, frame);
    this.transmit(frame);
    return clientMsgId;
  }

  // --- connection
  open() {
    if (this.stopped) return;
    const pass = this.pass();
    if (!pass) return;
    const ws = new WebSocket(this.url, [PROTOCOL, `bearer.${pass}`]);
    let opened = false;
    this.ws = ws;
    this.on.status(this.attempt ? "reconnecting" : "connecting");
    ws.addEventListener("open", () => {
      opened = true;
      this.attempt = 0;
      this.on.status("connected");
      this.startTimers();
      for (const frame of this.pending.values()) this.transmit(frame);
      const unfinished = [...this.runs.values()].filter((r) => !r.final);
      if (unfinished.length) {
        this.transmit({
          type: "resume",
          runs: unfinished.map((r) => ({ run_id: r.runId, last_seq: r.lastInOrder })),
        });
      }
    });
    ws.addEventListener("message", (message) => {
      this.receive(message.data);
    });
    ws.addEventListener("close", (closing) => {
      if (this.ws !== ws) return; // replaced or stopped on purpose
      this.ws = null;
      this.stopTimers();
      this.closed(closing.code, opened, closing.reason);
    });
  }

  transmit(frame) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false; // sent again once open
    const text = JSON.stringify(frame);
    ws.send(text);
    return true;
  }

  async closed(code, opened, reason = "") {
    if (this.stopped) return;
    if (code === 4401 || !opened) {
      // The pass expired or was revoked (4401), or the handshake was refused: a browser cannot
      // see why, so ask whether the session is still good before trying again.
      let renewed;
      try {
        renewed = await this.on.passRejected(code === 4401);
      } catch {
        renewed = null; // the service cannot say: it is unavailable
      }
      if (renewed === false || this.stopped) return; // signed out: the page says so
      if (renewed && code === 4401) return this.open(); // a fresh pass: at once
      if (renewed === null || this.attempt > 0) this.on.status("unavailable");
    } else if (code === 1013) this.on.status("busy");
    else if (code === 1001) this.on.status("restarting");
    else this.on.status("lost", code);
    this.retry(code === 1013 ? comeBackInMs(reason) : undefined);
  }

  retry(atLeastMs) {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.max(base * (0.75 + Math.random() * 0.5), atLeastMs ?? 0);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  // A dead link can look open for minutes: an app-level ping that gets no pong ends it.
  startTimers() {
    this.stopTimers();
    this.pingTimer = setInterval(() => {
      if (!this.transmit({ type: "ping" })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.ws?.close(4000, "no pong"), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  stopTimers() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  // --- frames
  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "pong") clearTimeout(this.pongTimer);
    else if (frame.type === "ack") this.acked(frame);
    else if (frame.type === "error") this.refused(frame);
    else if (frame.type === "resync_required") this.resync(frame.run_id);
    else if (frame.type === "resumed") this.on.status("connected");
    else if (frame.v === 1 && frame.run_id && Number.isInteger(frame.seq)) this.event(frame);
  }

  runOf(runId, threadId) {
    let run = this.runs.get(runId);
    if (!run) {
      run = new Run(runId, threadId);
      this.runs.set(runId, run);
    }
    return run;
  }

  acked(frame) {
    const asked = this.pending.get(frame.client_msg_id);
    this.pending.delete(frame.client_msg_id);
    const known = this.runs.has(frame.run_id);
    const run = this.runOf(frame.run_id, frame.thread_id);
    if (asked) this.on.ack(frame, asked.text);
    // A repeat is confirmed without its events: catch up on what this tab has not seen.
    if (frame.duplicate && !known && !run.final) {
      this.transmit({ type: "resume", runs: [{ run_id: run.runId, last_seq: run.lastInOrder }] });
    }
  }

  event(frame) {
    const run = this.runOf(frame.run_id, frame.thread_id);
    if (run.seen.has(frame.seq)) return; // already shown (a replay overlapping live events)
    run.seen.add(frame.seq);
    if (frame.final) run.final = true;
    this.on.event(frame);
  }

  refused(frame) {
    const asked = frame.ref && this.pending.get(frame.ref);
    if (asked && ["busy", "temporarily_unavailable", "rate_limited"].includes(frame.error)) {
      // Nothing was stored: the same question, with the same id, once the service can take it.
      const seconds = Number(frame.retry_after) || (frame.error === "rate_limited" ? 1 : 2);
      setTimeout(() => this.pending.has(frame.ref) && this.transmit(asked), seconds * 1000);
      this.on.problem(frame.error, frame, seconds);
      return;
    }
    if (asked) this.pending.delete(frame.ref);
    if (frame.ref && this.runs.has(frame.ref)) this.runs.delete(frame.ref);
    this.on.problem(frame.error, frame);
  }

  // The gap cannot be filled exactly: reload the run's whole record and show what is missing.
  async resync(runId) {
    const run = this.runs.get(runId);
    if (!run) return;
    const events = await this.on.resync(run).catch(() => []);
    for (const frame of events) this.event(frame);
  }
}
