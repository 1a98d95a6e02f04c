// The tasks a letter proposes, beside it on the review page: edit, drop or add before approving.
(() => {
  const token = document.querySelector('meta[name="csrf"]').content;
  const job = decodeURIComponent(location.pathname.split("/").pop());
  const KINDS = {follow_up: "Follow-up", test: "Test", procedure: "Procedure", referral: "Referral"};
  const rows = document.getElementById("task-rows");

  async function send(url, body) {
    const response = await fetch(url, {method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token}});
    if (!response.ok) document.getElementById("status").textContent = (await response.json()).error;
    return response.ok;
  }

  function row(task) {
    const line = document.createElement("div");
    line.className = "task";
    line.dataset.task = task.id;
    const kind = document.createElement("select");
    kind.className = "kind";
    for (const [value, label] of Object.entries(KINDS)) kind.add(new Option(label, value, false, value === task.kind));
    const what = Object.assign(document.createElement("input"), {className: "what", value: task.what});
    const due = Object.assign(document.createElement("input"), {type: "date", className: "due", value: task.due || ""});
    const drop = Object.assign(document.createElement("button"), {textContent: "Drop", className: "drop"});
    const editable = task.status === "proposed";
    for (const field of [kind, what, due, drop]) field.disabled = !editable;
    const save = () => send("/api/tasks/" + task.id, {kind: kind.value, what: what.value, due: due.value || null});
    for (const field of [kind, what, due]) field.addEventListener("change", save);
    drop.addEventListener("click", async () => { if (await send("/api/tasks/" + task.id, {drop: true})) line.remove(); });
    line.append(kind, what, due, drop);
    if (!editable) line.append(" " + task.status.replace("_", " "));
    return line;
  }

  async function load() {
    const data = await (await fetch("/api/jobs/" + encodeURIComponent(job) + "/tasks")).json();
    rows.replaceChildren(...(data.tasks || []).map(row));
  }

  document.getElementById("add-task").addEventListener("click", async () => {
    if (await send("/api/jobs/" + encodeURIComponent(job) + "/tasks", {kind: "follow_up", what: "Follow-up"})) load();
  });
  load();
})();
