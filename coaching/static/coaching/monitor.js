// Coaching monitor: a search box above each multi-select hides the options that do not
// match; choosing the other date filter puts its default dates in (only one date filter
// is active at a time). The form works without this script.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-search-for]").forEach((box) => {
    const select = document.getElementById(box.dataset.searchFor);
    if (!select) return;
    box.addEventListener("input", () => {
      const needle = box.value.trim().toLowerCase();
      for (const option of select.options) {
        option.hidden = needle !== "" && !option.text.toLowerCase().includes(needle) && !option.selected;
      }
    });
  });
  const dates = document.querySelector("[data-date-defaults]");
  if (!dates) return;
  const defaults = JSON.parse(dates.dataset.dateDefaults);
  document.querySelectorAll("input[name=date_field]").forEach((radio) => {
    radio.addEventListener("change", () => {
      const pair = defaults[radio.value];
      if (!pair) return;
      document.getElementById("id_date_from").value = pair[0];
      document.getElementById("id_date_to").value = pair[1];
    });
  });
});
