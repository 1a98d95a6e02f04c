// One letter beside its audio, or beside its scan. Every word is a span that knows its time in
// the recording (playback lights the current word, a click plays from it) or its box on the
// scanned page (the word under the mouse or the text cursor is boxed on the page image);
// flags jump to their words.
const jobId = decodeURIComponent(location.pathname.split("/").pop());
const csrf = document.querySelector('meta[name="csrf"]').content;
const audio = document.getElementById("audio");
const letter = document.getElementById("letter");
let words = [];

let scan = false;

function showScan(count) {
  scan = true;
  document.getElementById("player").hidden = true;
  document.getElementById("scan").hidden = false;
  const pages = document.getElementById("pages");
  for (let n = 1; n <= count; n++) {
    const page = document.createElement("div");
    page.className = "page";
    page.id = "page-" + n;
    const image = document.createElement("img");
    image.src = "/api/jobs/" + encodeURIComponent(jobId) + "/pages/" + n;
    image.alt = "page " + n + " of the scan";
    const box = document.createElement("div");
    box.className = "box";
    box.hidden = true;
    page.append(image, box);
    pages.append(page);
  }
}

function boxWord(span) {
  if (!scan) return;
  for (const box of document.querySelectorAll("#pages .box")) box.hidden = true;
  for (const other of words) other.classList.remove("current");
  if (!span || !span.dataset.page) return;
  const page = document.getElementById("page-" + span.dataset.page);
  const [left, top, right, bottom] = JSON.parse(span.dataset.box);
  const box = page.querySelector(".box");
  Object.assign(box.style, { left: left * 100 + "%", top: top * 100 + "%",
    width: (right - left) * 100 + "%", height: (bottom - top) * 100 + "%" });
  box.hidden = false;
  span.classList.add("current");
  box.scrollIntoView({ block: "nearest" });
}

function render(data) {
  if (data.kind === "scan") showScan(data.pages);
  document.getElementById("title").textContent =
    (data.patient || "Patient not stated") + " — " + (data.type || "Letter") + (data.author ? " — Dr " + data.author : "");
  letter.replaceChildren();
  const flags = document.getElementById("flags");
  flags.replaceChildren();
  let previous = null;
  for (const token of data.tokens) {
    if (token.kind === "break") { letter.append(document.createTextNode(token.text)); previous = token; continue; }
    const glued = token.kind === "mark" && ".,;:?!)".includes(token.text);
    if (previous && previous.kind !== "break" && !glued && !(previous.kind === "mark" && previous.text === "("))
      letter.append(document.createTextNode(" "));
    if (token.kind === "word" && (token.start !== null || token.box)) {
      const span = document.createElement("span");
      span.className = "w" + (token.mark ? " " + token.mark : "");
      span.textContent = token.text;
      if (token.box) { span.dataset.page = token.page; span.dataset.box = JSON.stringify(token.box); }
      else { span.dataset.start = token.start; span.dataset.end = token.end; }
      if (token.flag) {
        span.title = token.flag;
        const item = document.createElement("li");
        item.textContent = token.flag;
        item.addEventListener("click", () => jump(span));
        if (token.mark === "safety") {  // the errors that hurt head the list, in the letter's order
          item.className = "safety";
          const last = flags.querySelectorAll("li.safety");
          if (last.length) last[last.length - 1].after(item); else flags.prepend(item);
        } else {
          flags.append(item);
        }
      }
      words.push(span);
      letter.append(span);
    } else {
      letter.append(document.createTextNode(token.text));
    }
    previous = token;
  }
}

function jump(span) {
  if (scan) { span.scrollIntoView({ block: "center" }); boxWord(span); return; }
  audio.currentTime = parseFloat(span.dataset.start);
  span.scrollIntoView({ block: "center" });
  audio.play();
}

function follow() {
  const t = audio.currentTime;
  for (const span of words) {
    const on = t >= parseFloat(span.dataset.start) && t < parseFloat(span.dataset.end);
    span.classList.toggle("current", on);
  }
}

function setRate(rate) {
  audio.playbackRate = Math.min(2.0, Math.max(0.5, Math.round(rate * 10) / 10));
  document.getElementById("rate").textContent = "speed " + audio.playbackRate.toFixed(1) + "×";
}

// Foot-pedal keys: they work while the secretary types in the letter.
document.addEventListener("keydown", (event) => {
  const key = event.key, alt = event.altKey;
  if (key === "F4" || (alt && key.toLowerCase() === "p")) { audio.paused ? audio.play() : audio.pause(); }
  else if (key === "F2" || (alt && key.toLowerCase() === "b")) { audio.currentTime = Math.max(0, audio.currentTime - 3); }
  else if (key === "F7" || (alt && key === "ArrowDown")) { setRate(audio.playbackRate - 0.1); }
  else if (key === "F8" || (alt && key === "ArrowUp")) { setRate(audio.playbackRate + 0.1); }
  else return;
  event.preventDefault();
});

letter.addEventListener("click", (event) => {
  const span = event.target.closest ? event.target.closest(".w") : null;
  if (span && scan) boxWord(span);
  else if (span) { audio.currentTime = parseFloat(span.dataset.start); audio.play(); }
});
letter.addEventListener("mouseover", (event) => {
  const span = event.target.closest ? event.target.closest(".w") : null;
  if (span && scan) boxWord(span);
});
document.addEventListener("selectionchange", () => {  // the text cursor, while typing corrections
  const node = document.getSelection().anchorNode;
  const span = node && (node.nodeType === 1 ? node : node.parentElement).closest(".w");
  if (span && scan && letter.contains(span)) boxWord(span);
});

async function post(action, body) {
  const response = await fetch("/api/jobs/" + encodeURIComponent(jobId) + "/" + action, {
    method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  const result = await response.json();
  document.getElementById("status").textContent = response.ok ? result.state : "Not done: " + result.error;
  if (response.ok) letter.contentEditable = "false";
}

document.getElementById("approve").addEventListener("click", () => post("approve", { text: letter.innerText }));
document.getElementById("return").addEventListener("click", () =>
  post("return", { reason: document.getElementById("reason").value }));

audio.addEventListener("timeupdate", follow);
audio.addEventListener("seeked", follow);
fetch("/api/jobs/" + encodeURIComponent(jobId)).then((r) => r.json()).then((data) => {
  if (data.kind !== "scan") audio.src = "/api/jobs/" + encodeURIComponent(jobId) + "/audio";
  render(data);
});

// Opening the letter makes it this secretary's for 15 minutes (renewed while it stays open);
// when someone else has it, say so: two people should not proofread the same draft.
async function hold() {
  const response = await fetch("/api/jobs/" + encodeURIComponent(jobId) + "/hold",
                               {method: "POST", headers: {"X-CSRF-Token": csrf}});
  const result = await response.json();
  const note = document.getElementById("held");
  note.hidden = !result.held_by || result.mine;
  note.textContent = result.held_by ? result.held_by + " is working on this letter." : "";
}
hold();
setInterval(hold, 5 * 60 * 1000);
