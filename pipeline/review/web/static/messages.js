// The callback list: each message with its audio, its words with the facts highlighted,
// and what was done about it (called back, booked, passed on, closed) with a note.
const csrf = document.querySelector('meta[name="csrf"]').content;
const reviewer = document.getElementById("reviewer");
reviewer.value = localStorage.getItem("reviewer") || "";
// the name given on the queue page, when there is one, signs what is done here too
fetch("/api/me").then((r) => r.json()).then((me) => { if (me.name) reviewer.value = me.name; });
reviewer.addEventListener("change", () => localStorage.setItem("reviewer", reviewer.value));
const LABELS = {caller: "caller", patient: "patient", dob: "date of birth", callback: "call back",
                medication: "medicine", strength: "strength", pharmacy: "pharmacy"};

function marked(text, marks) {
  // the transcript with each fact (or red flag) in a span of its kind
  const out = document.createElement("p");
  out.className = "said";
  let at = 0;
  for (const [start, end, kind] of marks) {
    if (start < at) continue;
    out.append(text.slice(at, start));
    const span = document.createElement("span");
    span.className = "fact " + kind.replace("_", "-");
    span.title = kind.replace("_", " ");
    span.textContent = text.slice(start, end);
    out.append(span);
    at = end;
  }
  out.append(text.slice(at));
  return out;
}

function card(m, statuses) {
  const box = document.createElement("section");
  box.className = "message" + (m.urgent ? " urgent" : "");
  box.dataset.id = m.id;
  if (m.urgent) {
    const banner = document.createElement("div");
    banner.className = "banner";
    banner.textContent = "URGENT: heard " + m.red_flags.join("; ") + " (said: " + m.heard.join("; ") +
      "). This needs a clinician now.";
    box.append(banner);
  }
  if (m.silent) {
    const note = document.createElement("p");
    note.className = "silent";
    note.textContent = "No speech heard: a hang-up or line noise. Listen to check.";
    box.append(note);
  }
  const head = document.createElement("h2");
  head.textContent = m.reason + " — " + (m.caller || "caller not heard") +
    (m.patient && m.patient !== m.caller ? " about " + m.patient : (m.relation ? " about their " + m.relation : ""));
  box.append(head);
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "none";
  audio.src = "/api/jobs/" + encodeURIComponent(m.id) + "/audio";
  box.append(audio);
  const facts = document.createElement("dl");
  for (const [key, label] of Object.entries(LABELS)) {
    if (key === "callback" && !m[key]) m[key] = "not heard: listen to the message";
    if (!m[key]) continue;
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.textContent = m[key]; dd.className = "fact-" + key;
    facts.append(dt, dd);
  }
  if (m.times.length) {
    const dt = document.createElement("dt"); dt.textContent = "best time";
    const dd = document.createElement("dd"); dd.textContent = m.times.join(", ");
    facts.append(dt, dd);
  }
  box.append(facts, marked(m.transcript, m.marks));
  const actions = document.createElement("div");
  actions.className = "actions";
  const note = document.createElement("input");
  note.placeholder = "note (what was said or done)";
  note.className = "note";
  note.value = m.note || "";
  actions.append(note);
  for (const status of statuses.filter(s => s !== "open")) {
    const b = document.createElement("button");
    b.textContent = status[0].toUpperCase() + status.slice(1);
    b.dataset.status = status;
    b.addEventListener("click", () => mark(m.id, status, note.value));
    actions.append(b);
  }
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = m.status + (m.status_by ? " by " + m.status_by : "");
  actions.append(state);
  box.append(actions);
  return box;
}

async function mark(id, status, note) {
  const r = await fetch("/api/messages/" + encodeURIComponent(id), {method: "POST",
    headers: {"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    body: JSON.stringify({status, note, reviewer: reviewer.value})});
  if (!r.ok) alert((await r.json()).error);
  load();
}

async function load() {
  const all = document.getElementById("all").checked ? "?all=1" : "";
  const data = await (await fetch("/api/messages" + all)).json();
  const list = document.getElementById("messages");
  list.replaceChildren(...data.messages.map(m => card(m, data.statuses)));
  document.getElementById("count").textContent = data.messages.filter(m => m.status === "open").length + " to answer";
  document.getElementById("empty").hidden = data.messages.length > 0;
}
document.getElementById("all").addEventListener("change", load);
load();
setInterval(load, 15000);
