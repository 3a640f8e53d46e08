// A people picker (tenancy/people.py PeoplePicker): picking one of the box's suggestions
// ticks that person into the chosen list above it and empties the box, so several people
// are added before the form is saved. Without this script the typed text is resolved on save.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.peoplePicker || !box.list) return;
  const option = Array.from(box.list.options).find((o) => o.value === box.value && o.dataset.id);
  if (!option) return;
  const list = document.getElementById(`${box.id}-chosen`);
  const ticked = Array.from(list.querySelectorAll("input[type=checkbox]"))
    .find((input) => input.value === option.dataset.id);
  if (ticked) {
    ticked.checked = true;
  } else {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const input = document.createElement("input");
    label.className = "form-check-label";
    Object.assign(input, { type: "checkbox", name: box.dataset.peoplePicker,
                           value: option.dataset.id, checked: true,
                           className: "form-check-input me-1" });
    label.append(input, ` ${option.value}`);
    item.append(label);
    list.append(item);
  }
  box.value = "";
  box.list.replaceChildren();
});
