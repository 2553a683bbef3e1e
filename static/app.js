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

  document.addEventListener("DOMContentLoaded", function () {
    var zone = document.querySelector("[data-browser-timezone]");
    if (zone && window.Intl) {
      zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
    scrollToNewest();
  });
})();
