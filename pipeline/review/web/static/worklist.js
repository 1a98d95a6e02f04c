// The worklist: each approved letter's tasks, with what was done about them.
const csrf = document.querySelector('meta[name="csrf"]').content;
const KINDS = {follow_up: "Follow-up", test: "Test", procedure: "Procedure", referral: "Referral"};
const el = (id) => document.getElementById(id);

function query() {
  const q = new URLSearchParams({status: el("status").value});
  if (el("week").value) q.set("week", el("week").value);
  if (el("author").value) q.set("author", el("author").value);
  return q.toString();
}

async function mark(task, status, bookedFor) {
  const response = await fetch("/api/tasks/" + task.id, {method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({status: status, booked_for: bookedFor || null})});
  const data = await response.json();
  el("error").hidden = response.ok;
  el("error").textContent = data.error || "";
  if (response.ok) load();
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function actions(td, task) {
  const date = document.createElement("input");
  date.type = "date";
  date.className = "booked-for";
  date.value = task.booked_for || "";
  const book = document.createElement("button");
  book.textContent = "Booked";
  book.className = "book";
  book.addEventListener("click", () => mark(task, "booked", date.value));
  td.append(date, book);
  for (const [status, label] of [["done", "Done"], ["not_needed", "Not needed"]]) {
    const button = document.createElement("button");
    button.textContent = label;
    button.className = status.replace("_", "-");
    button.addEventListener("click", () => mark(task, status));
    td.append(button);
  }
}

async function load() {
  const data = await (await fetch("/api/tasks?" + query())).json();
  const authors = el("author");
  for (const name of data.authors) {
    if (![...authors.options].some((o) => o.value === name)) authors.add(new Option("Dr " + name, name));
  }
  const rows = el("rows");
  rows.replaceChildren();
  for (const task of data.tasks) {
    const row = rows.insertRow();
    row.dataset.task = task.id;
    if (task.overdue) row.className = "overdue";
    cell(row, task.id);
    cell(row, (task.overdue ? "OVERDUE " : "") + (task.due || "not stated"), "due");
    cell(row, KINDS[task.kind]);
    cell(row, task.patient || "not stated");
    cell(row, task.what + (task.with_whom ? " (" + task.with_whom + ")" : ""));
    cell(row, task.author ? "Dr " + task.author : "");
    // the row's updated_by and updated_at are its last change (desk/tasks.py writes both together)
    cell(row, task.status.replace("_", " ") + (task.booked_for ? " for " + task.booked_for : "") +
         (task.updated_by ? " · " + task.updated_by + ", " + task.updated_at.slice(0, 16).replace("T", " ") : ""),
         "status");
    actions(row.insertCell(), task);
  }
  el("empty").hidden = data.tasks.length > 0;
  el("count").textContent = data.tasks.length + " listed, " + data.overdue + " overdue";
  for (const kind of ["csv", "ics", "fhir"]) el(kind).href = "/api/tasks." + kind + "?" + query();
}

for (const id of ["status", "week", "author"]) el(id).addEventListener("change", load);
load();
