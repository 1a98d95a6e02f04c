// The day's billing sheet: each approved letter's codes, which the secretary may change.
const csrf = document.querySelector('meta[name="csrf"]').content;
const el = (id) => document.getElementById(id);
el("day").value = new URLSearchParams(location.search).get("day") || new Date().toLocaleDateString("sv");

async function change(jobId, action, code, condition) {
  const response = await fetch("/api/billing/" + encodeURIComponent(jobId), {method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({action: action, code: code, condition: condition || ""})});
  const data = await response.json();
  el("error").hidden = response.ok;
  el("error").textContent = data.error || "";
  if (response.ok) load();
}

function letterBox(letter) {
  const box = document.createElement("section");
  box.className = "message billing";
  box.dataset.job = letter.id;
  const title = document.createElement("h2");
  title.textContent = letter.patient + (letter.author ? " · Dr " + letter.author : "") + " · job " + letter.id;
  const list = document.createElement("ul");
  for (const c of letter.codes) {
    const item = document.createElement("li");
    item.dataset.code = c.code;
    item.className = c.removed ? "removed" : c.source;
    item.textContent = c.code + " " + c.condition + (c.source === "secretary" ? " (added)" : "") + " ";
    const button = document.createElement("button");
    button.textContent = c.removed ? "Put back" : "Remove";
    button.addEventListener("click", () => change(letter.id, c.removed ? "added" : "removed", c.code, c.condition));
    item.append(button);
    list.append(item);
  }
  const form = document.createElement("form");
  form.className = "add-code";
  const code = Object.assign(document.createElement("input"), {size: 8, placeholder: "code", className: "code"});
  const condition = Object.assign(document.createElement("input"), {size: 30, placeholder: "condition",
                                                                    className: "condition"});
  const add = Object.assign(document.createElement("button"), {textContent: "Add code"});
  form.append(code, condition, add);
  form.addEventListener("submit", (event) => { event.preventDefault(); change(letter.id, "added", code.value, condition.value); });
  box.append(title, list, form);
  return box;
}

async function load() {
  const data = await (await fetch("/api/billing?day=" + el("day").value)).json();
  el("letters").replaceChildren(...data.letters.map(letterBox));
  el("empty").hidden = data.letters.length > 0;
  el("count").textContent = data.letters.length + " letters";
}

el("day").addEventListener("change", load);
load();
