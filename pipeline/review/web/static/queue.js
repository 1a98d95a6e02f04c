// The queue: late letters first, then urgent ones, then the oldest. One click opens a letter.
function age(minutes) {
  if (minutes < 60) return minutes + " min";
  const h = Math.floor(minutes / 60);
  return h < 48 ? h + " h" : Math.floor(h / 24) + " days";
}

async function load() {
  const rows = await (await fetch("/api/queue")).json();
  const body = document.getElementById("rows");
  body.replaceChildren();
  for (const job of rows) {
    const tr = document.createElement("tr");
    tr.className = [job.urgent ? "urgent" : "", job.late ? "late" : ""].join(" ").trim();
    const link = document.createElement("a");
    link.href = "/review/" + encodeURIComponent(job.id);
    link.textContent = job.patient || "(patient not stated)";
    const due = job.due ? (job.late ? "LATE, was due " : "") + job.due.slice(0, 16).replace("T", " ") : "";
    const state = job.state + (job.held_by ? " — " + job.held_by + " is on it" : "");
    const cells = [link, job.type, job.author ? "Dr " + job.author : "", age(job.age_minutes), due, state];
    for (const value of cells) {
      const td = document.createElement("td");
      if (value instanceof Node) td.append(value); else td.textContent = value;
      tr.append(td);
    }
    body.append(tr);
  }
  const late = rows.filter(job => job.late).length;
  document.getElementById("count").textContent = rows.length + " waiting" + (late ? ", " + late + " late" : "");
  document.getElementById("empty").hidden = rows.length > 0;
}
const csrf = document.querySelector('meta[name="csrf"]').content;

async function decide(id, action) {
  await fetch("/api/vocabulary/" + id + "/" + action, {method: "POST", headers: {"X-CSRF-Token": csrf}});
  loadRules();
}

async function loadRules() {
  const rules = await (await fetch("/api/vocabulary")).json();
  const body = document.getElementById("rules");
  body.replaceChildren();
  for (const rule of rules) {
    const tr = document.createElement("tr");
    tr.dataset.rule = rule.id;
    for (const value of [rule.author || "(practice)", rule.heard, rule.typed, rule.count + " times", rule.status]) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(td);
    }
    const td = document.createElement("td");
    if (rule.status === "suggested") {
      for (const action of ["accept", "reject"]) {
        const button = document.createElement("button");
        button.textContent = action[0].toUpperCase() + action.slice(1);
        button.className = action;
        button.addEventListener("click", () => decide(rule.id, action));
        td.append(button);
      }
    }
    tr.append(td);
    body.append(tr);
  }
  document.getElementById("no-rules").hidden = rules.length > 0;
}

// The secretary's name, once: it marks the letters she opens as hers and signs what she does.
async function loadMe() {
  document.getElementById("name").value = (await (await fetch("/api/me")).json()).name || "";
}
document.getElementById("me").addEventListener("submit", async (event) => {
  event.preventDefault();
  await fetch("/api/me", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                          body: JSON.stringify({name: document.getElementById("name").value})});
  loadMe();
});

load();
loadMe();
loadRules();
setInterval(load, 15000);
