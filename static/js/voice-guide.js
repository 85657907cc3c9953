/*
 * Voice guide: reads the page aloud with the browser's speechSynthesis.
 *
 * The button (#voice-guide, in the site header) is hidden in the HTML and
 * only shown here, where the browser can speak. Reading order, inside <main>:
 *   1. the h1;
 *   2. every element with [data-voice] or class .instructions
 *      (a non-empty data-voice="..." is read instead of the element's text);
 *   3. h2/h3 headings and form labels/legends, in document order.
 * Each element is read once. Pressing the button again (or Escape) stops.
 * Chinese pages use a zh-CN voice, English pages an en-US voice.
 *
 * Messages come from data- attributes on the button (translated in the
 * template); no inline script, no dependency.
 */
(function () {
  "use strict";

  var button = document.getElementById("voice-guide");
  if (!button) {
    return;
  }
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") {
    button.hidden = true;
    return;
  }
  button.hidden = false;

  var statusRegion = document.getElementById("voice-guide-status");
  var RATE = parseFloat(button.getAttribute("data-rate")) || 0.9; // a little slower
  var MAX_CHUNK = 160; // long utterances get cut off in some browsers
  var run = 0; // bumps on every start/stop, so stale callbacks do nothing
  var speaking = false;
  var current = null; // keeps the utterance alive (Chrome drops its events otherwise)

  function announce(message) {
    if (!statusRegion || !message) {
      return;
    }
    // Clear first so that the same message is announced again.
    statusRegion.textContent = "";
    window.setTimeout(function () {
      statusRegion.textContent = message;
    }, 50);
  }

  function setPressed(on) {
    speaking = on;
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  /* Language: zh-* -> zh-CN, anything else -> en-US. */
  function speechLang(tag) {
    return /^zh/i.test(tag || "") ? "zh-CN" : "en-US";
  }

  function langOf(el) {
    var withLang = el.closest("[lang]");
    return speechLang(withLang ? withLang.getAttribute("lang") : document.documentElement.lang);
  }

  function pickVoice(lang) {
    var voices = synth.getVoices() || [];
    var want = lang.toLowerCase();
    var prefix = want.split("-")[0];
    var i;
    var name;
    for (i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").replace("_", "-").toLowerCase() === want) {
        return voices[i];
      }
    }
    for (i = 0; i < voices.length; i++) {
      name = (voices[i].lang || "").replace("_", "-").toLowerCase();
      if (name === prefix || name.indexOf(prefix + "-") === 0) {
        return voices[i];
      }
    }
    return null; // let the browser choose from utterance.lang
  }

  function isShown(el) {
    if (el.closest("[hidden], [aria-hidden='true']")) {
      return false;
    }
    return el.getClientRects().length > 0;
  }

  function textOf(el) {
    var custom = el.getAttribute("data-voice");
    var text = custom && custom.trim() ? custom : el.innerText || el.textContent || "";
    // Required-field asterisks read as "star": drop them.
    return text.replace(/\*/g, " ").replace(/\s+/g, " ").trim();
  }

  /* The elements to read, in reading order, each once. */
  function collect() {
    var root = document.getElementById("main") || document.body;
    var picked = [];

    function already(el) {
      for (var i = 0; i < picked.length; i++) {
        if (picked[i] === el || picked[i].contains(el)) {
          return true;
        }
      }
      return false;
    }
    function add(list) {
      for (var i = 0; i < list.length; i++) {
        var el = list[i];
        if (!already(el) && isShown(el) && textOf(el)) {
          picked.push(el);
        }
      }
    }

    var h1 = root.querySelector("h1") || document.querySelector("h1");
    if (h1) {
      add([h1]);
    }
    add(root.querySelectorAll("[data-voice], .instructions"));
    add(root.querySelectorAll("h2, h3, label, legend"));
    return picked;
  }

  /* Split long text at sentence ends, then at commas, then hard. */
  function chunks(text) {
    var out = [];
    var parts = text.match(/[^。！？!?；;.]+[。！？!?；;.]*/g) || [text];
    var buf = "";
    parts.forEach(function (part) {
      if ((buf + part).length <= MAX_CHUNK) {
        buf += part;
        return;
      }
      if (buf) {
        out.push(buf);
      }
      buf = part;
      while (buf.length > MAX_CHUNK) {
        var cut = Math.max(buf.lastIndexOf("，", MAX_CHUNK), buf.lastIndexOf(",", MAX_CHUNK));
        cut = cut > 20 ? cut + 1 : MAX_CHUNK;
        out.push(buf.slice(0, cut));
        buf = buf.slice(cut);
      }
    });
    if (buf.trim()) {
      out.push(buf);
    }
    return out;
  }

  function buildQueue() {
    var queue = [];
    collect().forEach(function (el) {
      var lang = langOf(el);
      chunks(textOf(el)).forEach(function (text) {
        queue.push({ text: text, lang: lang });
      });
    });
    return queue;
  }

  function finish(myRun) {
    if (myRun !== run) {
      return;
    }
    run++;
    current = null;
    setPressed(false);
    announce(button.getAttribute("data-msg-done"));
  }

  function speakFrom(queue, index, myRun) {
    if (myRun !== run) {
      return;
    }
    if (index >= queue.length) {
      finish(myRun);
      return;
    }
    var item = queue[index];
    var utterance = new window.SpeechSynthesisUtterance(item.text);
    var voice = pickVoice(item.lang);
    utterance.lang = voice ? voice.lang : item.lang;
    if (voice) {
      utterance.voice = voice;
    }
    utterance.rate = RATE;
    var done = false;
    function next() {
      if (!done) {
        done = true;
        speakFrom(queue, index + 1, myRun);
      }
    }
    utterance.onend = next;
    utterance.onerror = function (event) {
      // "interrupted"/"canceled" come from our own stop(): nothing to do.
      if (event && (event.error === "interrupted" || event.error === "canceled")) {
        return;
      }
      next();
    };
    current = utterance;
    synth.speak(utterance);
  }

  function start() {
    var queue = buildQueue();
    run++;
    synth.cancel();
    if (synth.paused) {
      synth.resume();
    }
    setPressed(true);
    announce(button.getAttribute("data-msg-start"));
    var myRun = run;
    // Give the status message (and a just-cancelled queue) a moment first.
    window.setTimeout(function () {
      speakFrom(queue, 0, myRun);
    }, 300);
  }

  function stop(quiet) {
    run++;
    current = null;
    synth.cancel();
    if (speaking) {
      setPressed(false);
      if (!quiet) {
        announce(button.getAttribute("data-msg-stop"));
      }
    }
  }

  button.addEventListener("click", function () {
    if (speaking) {
      stop(false);
    } else {
      start();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (speaking && (event.key === "Escape" || event.key === "Esc")) {
      stop(false);
    }
  });

  // Do not keep talking about a page that is gone.
  window.addEventListener("pagehide", function () {
    stop(true);
  });

  // Some browsers load their voice list late; asking once starts the load.
  synth.getVoices();
})();
