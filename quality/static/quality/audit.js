// The audit screen, keyboard first: j/k or the arrows move between attributes, y / n / a
// (N/A) or a digit answers the current one and moves on, c comments, s saves, Ctrl+Enter
// submits. Focusing an attribute highlights its evidence turns in the transcript. The total
// is recomputed here with the server's formula (quality/scoring/total.py); the server
// recomputes it on save and is the one that counts.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("audit-form");
  if (!form) return;
  const attrs = Array.from(form.querySelectorAll("fieldset.attr"));
  const totalOut = document.getElementById("audit-total");
  const note = document.getElementById("audit-total-note");
  let current = -1;

  function value(fieldset) {
    const checked = fieldset.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  }

  function recompute() {
    let earned = 0, possible = 0, criticalFailed = false, answered = 0;
    for (const fs of attrs) {
      const v = value(fs);
      if (v === "" || v === "na") { if (v === "na") answered++; continue; }
      answered++;
      const weight = Number(fs.dataset.weight);
      const scale = fs.dataset.scale ? Number(fs.dataset.scale) : 0;
      const points = scale ? Number(v) / scale : (v === "yes" ? 1 : 0);
      if (fs.dataset.critical === "1" && points <= 0) criticalFailed = true;
      earned += weight * points;
      possible += weight;
    }
    let text = "—";
    if (criticalFailed) text = "0";
    else if (possible > 0) text = String(Math.round(10000 * earned / possible) / 100);
    totalOut.textContent = text;
    note.textContent = (criticalFailed ? " · a critical attribute failed" : "")
      + ` · ${answered} of ${attrs.length} answered`;
  }

  function highlight(fieldset) {
    document.querySelectorAll(".turn.evidence").forEach((t) => t.classList.remove("evidence"));
    const turns = (fieldset.dataset.evidence || "").split(",").filter((s) => s !== "");
    let first = null;
    for (const index of turns) {
      const turn = document.getElementById(`turn-${index}`);
      if (turn) { turn.classList.add("evidence"); first = first || turn; }
    }
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  function select(index, focus = true) {
    if (!attrs.length) return;
    current = Math.max(0, Math.min(attrs.length - 1, index));
    attrs.forEach((fs, i) => fs.classList.toggle("current", i === current));
    const fs = attrs[current];
    highlight(fs);
    if (focus) { fs.focus({ preventScroll: true }); fs.scrollIntoView({ block: "nearest" }); }
  }

  function answer(key) {
    if (current < 0) select(0, false);
    const fs = attrs[current];
    const wanted = { y: "yes", n: "no", a: "na" }[key] ?? key;
    const radio = fs.querySelector(`input[type=radio][value="${wanted}"]`);
    if (!radio) return false;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    if (current < attrs.length - 1) select(current + 1);
    return true;
  }

  attrs.forEach((fs, i) => {
    fs.addEventListener("focusin", () => { if (current !== i) select(i, false); });
    fs.addEventListener("click", () => { if (current !== i) select(i, false); });
  });
  form.addEventListener("change", recompute);

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const submit = document.getElementById("audit-submit") || document.getElementById("audit-save");
      if (submit) { event.preventDefault(); submit.click(); }
      return;
    }
    const target = event.target;
    const typing = target.matches("input[type=text], textarea, select, input:not([type])");
    if (typing) {
      if (event.key === "Escape" && current >= 0) { event.preventDefault(); attrs[current].focus(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const onRadio = target.matches("input[type=radio]");
    const key = event.key;
    if (key === "j" || (key === "ArrowDown" && !onRadio)) {
      event.preventDefault(); select(current + 1);
    } else if (key === "k" || (key === "ArrowUp" && !onRadio)) {
      event.preventDefault(); select(current < 0 ? 0 : current - 1);
    } else if (key === "y" || key === "n" || key === "a" || /^[0-9]$/.test(key)) {
      if (answer(key)) event.preventDefault();
    } else if (key === "c" && current >= 0) {
      event.preventDefault();
      attrs[current].querySelector("input[type=text]")?.focus();
    } else if (key === "s") {
      event.preventDefault();
      document.getElementById("audit-save")?.click();
    }
  });

  recompute();
  const firstError = attrs.findIndex((fs) => fs.classList.contains("border-danger"));
  const firstOpen = attrs.findIndex((fs) => value(fs) === "");
  select(firstError >= 0 ? firstError : (firstOpen >= 0 ? firstOpen : 0));
});
