// The page's own behaviour on top of htmx: Enter sends, focus and scroll follow the chat.
// Served from static/ so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function byId(id) {
    return document.getElementById(id);
  }

  function scrollToNewest() {
    var messages = byId("messages");
    if (messages && messages.lastElementChild) {
      messages.lastElementChild.scrollIntoView({ block: "end" });
    }
  }

  function fromComposer(event) {
    var ctx = event.detail && event.detail.ctx;
    return ctx && ctx.sourceElement && ctx.sourceElement.id === "composer";
  }

  // One of the buttons that answer the agent's question (they send like the message box).
  function fromChoice(event) {
    var ctx = event.detail && event.detail.ctx;
    return Boolean(ctx && ctx.sourceElement && ctx.sourceElement.closest && ctx.sourceElement.closest(".choices"));
  }

  // Enter sends, Shift+Enter makes a new line (and IME composition is left alone).
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (box.id !== "message-input" || event.key !== "Enter" || event.shiftKey || event.isComposing) {
      return;
    }
    event.preventDefault();
    if (box.value.trim() === "" && box.form.dataset.sending === "true") {
      return;
    }
    box.form.requestSubmit();
  });

  // The form's values are collected before this event; empty the box so the next message
  // can be typed while the reply streams, and put the text back if the request fails.
  document.addEventListener("htmx:before:request", function (event) {
    if (!fromComposer(event)) return;
    var box = byId("message-input");
    var form = byId("composer");
    form.dataset.sending = "true";
    form.dataset.lastMessage = box.value;
    box.value = "";
    var flash = byId("flash");
    if (flash) flash.textContent = "";  // an old "can't be empty" no longer applies
  });

  document.addEventListener("htmx:error", function (event) {
    if (!fromComposer(event)) return;
    var box = byId("message-input");
    if (box && !box.value) box.value = byId("composer").dataset.lastMessage || "";
  });

  document.addEventListener("htmx:finally:request", function (event) {
    if (fromComposer(event)) {
      byId("composer").dataset.sending = "false";
    }
    var box = byId("message-input");
    var fromSidebar = event.target instanceof Element && event.target.closest("nav.sidebar");
    if (box && (fromComposer(event) || fromChoice(event) || fromSidebar)) {
      box.focus();
    }
  });

  // After any swap into the conversation (a streamed word, a switched conversation).
  document.addEventListener("htmx:after:swap", function (event) {
    var panel = byId("task-panel");
    if (!(event.target instanceof Element) || !panel || !panel.contains(event.target)) {
      scrollToNewest();
    }
  });

  // Reminders that came due: a light poll of the unread count (every 30 s, and when the tab
  // comes back); a change reloads the notices area, and the browser shows a notification of
  // its own when the user allowed it. Without JavaScript the next page load shows them.
  var POLL_MS = 30000;

  function offerBrowserNotifications(link) {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "Notify me";
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.remove(); });
    });
    link.insertAdjacentElement("afterend", button);
  }

  function pollNotices(link) {
    var badge = link.querySelector("[data-notice-count]");
    var known = Number(badge.textContent) || 0;
    function poll() {
      if (document.hidden) return;
      fetch(link.dataset.noticeCountUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || body.count === known) return;
          var grew = body.count > known;
          known = body.count;
          badge.textContent = String(body.count);
          link.setAttribute("aria-label", "Reminders: " + body.count + " unread");
          var area = byId("notices");
          if (area) {
            var url = link.getAttribute("href") + "?fragment=1&next=" + encodeURIComponent(location.pathname);
            fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
              .then(function (html) { if (html !== null) area.outerHTML = html; });
          }
          if (grew && body.latest.length && "Notification" in window && Notification.permission === "granted") {
            new Notification("Reminder", { body: body.latest[0].title });
          }
        })
        .catch(function () {});
    }
    setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", poll);
    window.taskchatPollNotices = poll;  // the browser tests call it instead of waiting 30 s
  }

  document.addEventListener("DOMContentLoaded", function () {
    var zone = document.querySelector("[data-browser-timezone]");
    var browserZone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && browserZone && zone.querySelector('option[value="' + browserZone + '"]')) {
      zone.value = browserZone;
    }
    var link = document.querySelector("[data-notice-count-url]");
    if (link) {
      offerBrowserNotifications(link);
      pollNotices(link);
    }
    scrollToNewest();
  });
})();
