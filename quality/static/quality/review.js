// The agent's review panel on an evaluation page: ask before a form marked data-confirm
// (accepting an audit) is sent, and show an attribute's reason and proposal only while it
// is ticked for the dispute (without this script every field simply stays visible).
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("review");
  if (!panel) return;

  panel.addEventListener("submit", (event) => {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  function sync(box) {
    const fields = document.getElementById(box.dataset.disputeToggle);
    if (fields) fields.hidden = !box.checked;
  }

  const boxes = panel.querySelectorAll("input[data-dispute-toggle]:not([disabled])");
  for (const box of boxes) {
    sync(box);
    box.addEventListener("change", () => {
      sync(box);
      if (box.checked) {
        const reason = document.getElementById(box.dataset.disputeToggle)?.querySelector("textarea");
        if (reason && !reason.value) reason.focus();
      }
    });
  }

  // The dispute form opens on its first attribute; closed, focus goes back to its button.
  const form = document.getElementById("dispute-form");
  if (form) {
    form.addEventListener("shown.bs.collapse", () => {
      const first = form.querySelector("input[type=checkbox]:not([disabled])");
      if (first) first.focus();
    });
    form.addEventListener("hidden.bs.collapse", () => {
      const toggle = document.getElementById("review-dispute-toggle");
      if (toggle) toggle.focus();
    });
  }
});
