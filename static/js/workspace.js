// The session workspace (templates/sessions/workspace.html): live totals on the measure
// grids, 0-3 typed on a grid row, and a draft kept while the therapist types.
//
// Nothing typed is lost: every few seconds, and when the page is left, the form's fields go
// to the server as a draft (its author's only; restored when the workspace is opened again).
// If the server does not take it (the sign-in expired), the fields are kept in this tab's
// sessionStorage and put back when the workspace is opened again after signing in; they are
// dropped once the workspace is saved, or when the tab is closed or the user signs out.
(() => {
  const form = document.getElementById("workspace");
  if (!form) return;
  const status = document.getElementById("draft-status");
  const draftUrl = form.dataset.draftUrl;
  const storageKey = "ipt-workspace-" + draftUrl;
  const AUTOSAVE_MS = 4000;
  const BANDS = {
    phq9: [[4, "minimal"], [9, "mild"], [14, "moderate"], [19, "moderately severe"], [27, "severe"]],
    gad7: [[4, "minimal"], [9, "mild"], [14, "moderate"], [21, "severe"]],
  };

  // --- Measure grids ----------------------------------------------------------------------
  function updateGrid(grid) {
    const rows = grid.querySelectorAll(".grid-row");
    let total = 0;
    let answered = 0;
    rows.forEach((row) => {
      const checked = row.querySelector("input[type=radio]:checked");
      if (checked) {
        total += Number(checked.value);
        answered += 1;
      }
    });
    const kind = grid.dataset.kind;
    const out = grid.querySelector("[data-total-for]");
    if (answered === 0) {
      out.textContent = "";
    } else {
      const band = BANDS[kind].find(([upper]) => total <= upper)[1];
      const of = answered < rows.length ? ` (${answered} of ${rows.length} answered)` : "";
      out.textContent = `Total ${total} · ${band}${of}`;
    }
    const item9 = grid.querySelector(".item-9 input:checked");
    const warning = grid.querySelector(".item-9-warning");
    const positive = Boolean(item9 && Number(item9.value) > 0);
    if (warning) warning.hidden = !positive;
    // An item 9 above 0: the risk check is due in this note.
    const riskCheck = document.querySelector(".risk-check-field");
    if (riskCheck && positive) riskCheck.hidden = false;
  }

  document.querySelectorAll(".measure-grid").forEach((grid) => {
    updateGrid(grid);
    grid.addEventListener("change", () => updateGrid(grid));
    grid.addEventListener("keydown", (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement) || input.type !== "radio") return;
      if (!/^[0-3]$/.test(event.key)) return;
      event.preventDefault();
      const row = input.closest(".grid-row");
      const choice = row.querySelector(`input[value="${event.key}"]`);
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
      // On to the next item (or the difficulty question after the last one).
      const next = row.nextElementSibling;
      const target = next
        ? next.querySelector("input:checked") || next.querySelector("input")
        : grid.querySelector("select");
      if (target) target.focus();
    });
  });

  // --- Drafts -----------------------------------------------------------------------------
  let dirty = false;
  let submitting = false;

  function fields() {
    const data = new FormData(form);
    data.delete("action");
    return data;
  }

  function keepInTab() {
    const entries = [];
    fields().forEach((value, name) => {
      if (name !== "csrfmiddlewaretoken") entries.push([name, value]);
    });
    try {
      sessionStorage.setItem(storageKey, JSON.stringify(entries));
    } catch (error) {
      // Storage full or disabled: the server draft is all there is.
    }
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  async function saveDraft() {
    if (!dirty || submitting) return;
    dirty = false;
    keepInTab();
    try {
      const response = await fetch(draftUrl, {
        method: "POST",
        body: fields(),
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "fetch" },
      });
      if (response.ok) {
        const answer = await response.json();
        say(`Draft saved at ${answer.at}. Not yet in the record: save or sign to keep it.`);
        return;
      }
      say(
        "The draft could not be saved (signed out?). What you typed is kept in this tab: " +
          "sign in again and come back to this page to save it."
      );
    } catch (error) {
      dirty = true; // offline for a moment: try again
      say("The draft could not be saved just now; trying again. What you typed is kept in this tab.");
    }
  }

  function restoreFromTab() {
    const kept = sessionStorage.getItem(storageKey);
    if (!kept || form.dataset.fresh !== "1") return;
    const entries = JSON.parse(kept);
    const names = new Set(entries.map(([name]) => name));
    names.forEach((name) => {
      form.querySelectorAll(`[name="${CSS.escape(name)}"]`).forEach((element) => {
        if (element.type === "checkbox" || element.type === "radio") element.checked = false;
      });
    });
    entries.forEach(([name, value]) => {
      form.querySelectorAll(`[name="${CSS.escape(name)}"]`).forEach((element) => {
        if (element.type === "checkbox" || element.type === "radio") {
          if (element.value === value) element.checked = true;
        } else if (element.type !== "hidden") {
          element.value = value;
        }
      });
    });
    document.querySelectorAll(".measure-grid").forEach(updateGrid);
    dirty = true;
    say("What you typed before you were signed out is back in the form: save it to keep it.");
    saveDraft();
  }

  form.addEventListener("input", () => {
    dirty = true;
  });
  form.addEventListener("change", () => {
    dirty = true;
  });
  form.addEventListener("submit", () => {
    submitting = true;
    keepInTab(); // if the sign-in expired, the POST is lost on the way to the sign-in page
  });
  setInterval(saveDraft, AUTOSAVE_MS);
  window.addEventListener("pagehide", () => {
    if (dirty && !submitting) {
      keepInTab();
      navigator.sendBeacon(draftUrl, fields());
    }
  });
  restoreFromTab();
})();

// Attendance: the minutes and the cancellation's fields only when they apply; Ctrl+Enter
// saves and signs from anywhere in the workspace.
(() => {
  const form = document.getElementById("workspace");
  if (!form) return;
  const choices = form.querySelectorAll("input[name='att-attendance']");
  const extras = ["att-actual_minutes", "att-cancelled_by", "att-cancellation_reason"]
    .map((name) => form.querySelector(`[name='${name}']`))
    .filter(Boolean)
    .map((field) => field.closest(".mb-3, .col, [class*='col-']") || field);
  function showExtras() {
    const chosen = form.querySelector("input[name='att-attendance']:checked");
    const plain = !chosen || chosen.value === "as_booked";
    const invalid = form.querySelector(".att-errors, .is-invalid[name^='att-']");
    extras.forEach((box) => {
      box.hidden = plain && !invalid;
    });
  }
  if (choices.length) {
    showExtras();
    choices.forEach((choice) => choice.addEventListener("change", showExtras));
  }
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.querySelector("button[name='action'][value='sign']").click();
    }
  });
})();
