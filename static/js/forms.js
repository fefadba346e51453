// A form is sent once: a double click on its button (or Enter pressed twice) would otherwise
// send it twice and, for a note, save it twice. The buttons are not disabled, because a
// disabled button's name and value would be left out of the form (some forms have several
// buttons that say which action is meant); a second submit is simply ignored. A form whose
// answer is a download (the page stays) says so with data-download and is never held.
const RELEASE_AFTER_MS = 10000; // in case the answer never replaces the page

function release(form) {
  delete form.dataset.sending;
  form.removeAttribute("aria-busy");
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  if ("download" in form.dataset) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  form.setAttribute("aria-busy", "true");
  setTimeout(() => release(form), RELEASE_AFTER_MS);
});

// Back to a page kept in the browser's memory: its forms can be sent again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) document.querySelectorAll("form[data-sending]").forEach(release);
});

// A workspace saved (the page was sent on with ?saved=<draft url>): its copy kept in this tab
// for an expired sign-in (workspace.js) is no longer needed. Signing out drops every copy.
(() => {
  const url = new URL(window.location.href);
  const saved = url.searchParams.get("saved");
  if (saved) {
    sessionStorage.removeItem("ipt-workspace-" + saved);
    url.searchParams.delete("saved");
    window.history.replaceState(null, "", url);
  }
  document.addEventListener("submit", (event) => {
    if (event.target.matches("form[action$='/logout/']")) {
      Object.keys(sessionStorage)
        .filter((key) => key.startsWith("ipt-workspace-"))
        .forEach((key) => sessionStorage.removeItem(key));
    }
  });
})();

// A "Clear the answers" button (data-clear="<selector>"): a picked radio cannot be unpicked
// by the browser, so a questionnaire answered by mistake is emptied here before saving.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-clear]");
  if (!button) return;
  const target = document.querySelector(button.dataset.clear);
  if (!target) return;
  target.querySelectorAll("input[type=radio], input[type=checkbox]").forEach((input) => {
    input.checked = false;
  });
  target.querySelectorAll("select").forEach((select) => {
    select.selectedIndex = 0;
  });
  target.dispatchEvent(new Event("change", { bubbles: true }));
});
