// The chat page: wires the forms to the session, the live chat and the views.
import * as api from "./api.js";
import { Chat } from "./chat.js";
import { CsvError, usageRecords } from "./csv.js";
import { Session } from "./session.js";
import { Timeline, el, message, when } from "./view.js";

const $ = (id) => document.getElementById(id);
const timeline = new Timeline($("timeline"));
const STATUS_TEXT = {
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  connected: "Connected",
  lost: "Connection lost, reconnecting…",
  busy: "Busy, retrying…",
  restarting: "Server restarting, reconnecting…",
  unavailable: "Unavailable, retrying…",
  offline: "Not connected",
};
const CONNECTION_NOTICES = {
  lost: ["The connection was lost. Reconnecting; you will not miss a step.", "warning"],
  busy: ["The service is busy right now. Trying again in a few seconds.", "warning"],
  restarting: ["The server is restarting. Reconnecting; you will not miss a step.", "warning"],
  unavailable: ["The service is unavailable right now. Retrying by itself.", "error"],
};
const PROBLEMS = {
  busy: (s) => `The assistant is busy right now. Your question will be sent again in ${s} s.`,
  temporarily_unavailable: (s) => `The service is briefly unavailable. Sending your question again in ${s} s.`,
  rate_limited: (s) => `Too many questions at once. Sending yours again in ${s} s.`,
  not_found: () => "That conversation no longer exists.",
  forbidden: () => "That conversation is not yours.",
};
const FAILED = {
  interrupted: "Your question was interrupted (our server restarted). Please ask it again.",
  timeout: "The assistant ran out of time. Please ask again.",
  tool_failed: "The assistant could not read your usage data. Please try again shortly.",
  llm_unavailable: "The assistant is unavailable right now. Please try again shortly.",
};

let chat = null;
let currentThread = null;
const asked = new Map(); // client_msg_id -> the "Sending…" message in the list

const session = new Session({
  onEnded: () => signedOut("You have been signed out (from another tab or device, or your session ended). Sign in again to continue."),
});

// kind: "connection" notices clear once connected again, "problem" ones once a question goes through.
function notice(text, level = "info", kind = "") {
  const box = $("notice");
  box.dataset.kind = kind;
  box.textContent = text || "";
  box.dataset.level = level;
  box.hidden = !text;
}

function showAuth() {
  $("app").hidden = true;
  $("account").hidden = true;
  $("auth").hidden = false;
  setConnection("offline");
}

function showApp() {
  const profile = session.profile;
  $("who").textContent = profile?.name ? `${profile.name} (${profile.email})` : profile?.email || "";
  $("auth").hidden = true;
  $("account").hidden = false;
  $("app").hidden = false;
  newConversation();
  chat = new Chat({ url: chatUrl(), pass: () => session.pass, handlers });
  chat.start();
  loadThreads();
  $("question").focus();
}

function chatUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

function signedOut(text) {
  chat?.stop();
  chat = null;
  currentThread = null;
  asked.clear();
  for (const id of ["messages", "timeline", "threads", "search-results"]) $(id).replaceChildren();
  $("usage-status").textContent = "";
  showAuth();
  notice(text, "error");
}

function setConnection(state) {
  const box = $("connection");
  box.dataset.state = state;
  box.textContent = STATUS_TEXT[state] || state;
}

// --- the live chat's callbacks
const handlers = {
  status(state) {
    setConnection(state);
    if (CONNECTION_NOTICES[state]) notice(...CONNECTION_NOTICES[state], "connection");
    else if (state === "connected" && $("notice").dataset.kind === "connection") notice("");
  },
  ack(frame, text) {
    if ($("notice").dataset.kind === "problem") notice(""); // the resent question went through
    const item = asked.get(frame.client_msg_id);
    item?.querySelector(".pending")?.remove();
    asked.delete(frame.client_msg_id);
    if (!currentThread && item) {
      currentThread = frame.thread_id; // a new conversation, titled by its first question
      $("chat-title").textContent = text;
      loadThreads();
    }
  },
  event(frame) {
    if (frame.thread_id !== currentThread) return;
    timeline.add(frame);
    if (frame.type === "agent_completed") {
      $("messages").append(message("assistant", frame.payload.text, { messageId: frame.payload.final_message_id }));
      loadThreads();
    } else if (frame.type === "agent_error") {
      notice(FAILED[frame.payload.error] || `The assistant failed: ${frame.payload.message}`, "error");
    }
  },
  problem(code, frame, seconds) {
    const say = PROBLEMS[code];
    notice(say ? say(seconds) : frame.message || `The chat refused that (${code}).`, "warning", "problem");
  },
  // true: a good pass is in hand; false: the session is over; throws: the service cannot say.
  async passRejected(expired) {
    if (!expired) {
      try {
        await api.me(session.pass);
        return true;
      } catch (error) {
        if (error.status !== 401) throw error;
      }
    }
    return session.renew();
  },
  resync: (run) => session.authed((pass) => api.runEvents(pass, run.threadId, run.runId)),
};

// --- history
async function loadThreads() {
  let list;
  try {
    list = await session.authed((pass) => api.threads(pass));
  } catch {
    return; // unavailable or signed out: the page says so elsewhere
  }
  $("threads").replaceChildren(
    ...list.map((thread) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            className: "thread",
            "data-thread": thread.thread_id,
            "aria-current": thread.thread_id === currentThread ? "true" : undefined,
            onclick: () => openThread(thread.thread_id, thread.title),
          },
          el("span", { className: "title", text: thread.title }),
          el("span", { className: "when", text: when(thread.updated_at) }),
        ),
      ),
    ),
  );
}

async function openThread(threadId, title) {
  let list;
  try {
    list = await session.authed((pass) => api.messages(pass, threadId));
  } catch (error) {
    notice(`Could not open the conversation: ${error.message}`, "error");
    return;
  }
  currentThread = threadId;
  $("chat-title").textContent = title;
  timeline.clear();
  $("messages").replaceChildren(...list.map((m) => message(m.role, m.text, { messageId: m.message_id })));
  for (const button of document.querySelectorAll("#threads button")) {
    if (button.dataset.thread === threadId) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  $("question").focus();
}

function newConversation() {
  currentThread = null;
  $("chat-title").textContent = "New conversation";
  $("messages").replaceChildren();
  timeline.clear();
}

// --- forms
function field(form, name) {
  return form.elements[name].value;
}

function explain(error) {
  if (error.code === "invalid_credentials") return "The email or password is not correct.";
  if (error.code === "rate_limited") return `Too many attempts. Try again in ${error.retryAfter || "a few"} seconds.`;
  if (error.code === "conflict") return "An account with this email already exists. Sign in instead.";
  if (error.status === 0 || error.status === 503) return "The service is unavailable right now. Try again shortly.";
  return error.message;
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  $("sign-in-error").textContent = "";
  try {
    await session.signIn(field(form, "email").trim(), field(form, "password"));
  } catch (error) {
    $("sign-in-error").textContent = explain(error);
    return;
  }
  form.reset();
  notice("");
  showApp();
});

$("sign-up-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const email = field(form, "email").trim();
  const password = field(form, "password");
  $("sign-up-error").textContent = "";
  try {
    await api.register(email, password, field(form, "name").trim());
    await session.signIn(email, password);
  } catch (error) {
    $("sign-up-error").textContent = explain(error);
    return;
  }
  form.reset();
  notice("");
  showApp();
});

$("sign-out").addEventListener("click", async () => {
  chat?.stop();
  const told = await session.signOut();
  signedOut("");
  if (told) notice("You signed out.");
  else notice("You signed out of this page, but the service could not be reached: your session stays open until you sign out again once it is back.", "warning");
});

$("usage-file").addEventListener("change", async (event) => {
  const input = event.currentTarget;
  const file = input.files[0];
  const status = $("usage-status");
  if (!file) return;
  status.textContent = `Loading ${file.name}…`;
  try {
    const records = usageRecords(await file.text());
    const answer = await session.authed((pass) => api.postUsage(pass, records));
    status.textContent = `Loaded ${answer.accepted} usage records from ${file.name}.`;
  } catch (error) {
    const why = error instanceof CsvError ? error.message : explain(error);
    status.textContent = `Could not load ${file.name}: ${why}`;
  } finally {
    input.value = "";
  }
});

$("ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("question");
  const text = input.value.trim();
  if (!text || !chat) return;
  input.value = "";
  timeline.clear();
  const id = chat.ask(text, currentThread);
  const item = message("user", text, { pending: true });
  asked.set(id, item);
  $("messages").append(item);
});

$("new-conversation").addEventListener("click", () => {
  newConversation();
  $("question").focus();
});

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const words = $("search").value.trim();
  const results = $("search-results");
  if (!words) {
    results.hidden = true;
    return;
  }
  let found;
  try {
    found = await session.authed((pass) => api.search(pass, words));
  } catch (error) {
    notice(`Search failed: ${explain(error)}`, "error");
    return;
  }
  results.hidden = false;
  results.replaceChildren(
    ...(found.length
      ? found.map((m) =>
          el(
            "li",
            {},
            el("button", {
              type: "button",
              className: "result",
              "data-thread": m.thread_id,
              text: m.text.length > 120 ? `${m.text.slice(0, 117)}…` : m.text,
              onclick: () => openThread(m.thread_id, m.text.slice(0, 80)),
            }),
          ),
        )
      : [el("li", { className: "none", text: `Nothing matches “${words}”.` })]),
  );
});

// Signed in earlier (the renewal cookie)? Then back to the chat without signing in again.
// Both stay hidden until the service has said which (no sign-in form flashes on a reload).
async function boot() {
  if (session.signedIn) return; // signed in by hand while the service was unavailable
  let resumed;
  try {
    resumed = await session.resume();
  } catch {
    showAuth();
    notice(...CONNECTION_NOTICES.unavailable);
    setTimeout(boot, 3000);
    return;
  }
  if (chat) return;
  notice("");
  if (resumed) showApp();
  else showAuth();
}

boot();
