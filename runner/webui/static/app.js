// Experiment comparison page. The server computes every view (runner/webui/data.py);
// this file only fetches, draws and keeps the selection. All store text is inserted with
// textContent, never as HTML. The selection and tab live in the URL hash (#tab=..&ids=..)
// so a reload or a shared link shows the same comparison.
"use strict";

(() => {
  const TABS = ["metrics", "hyperparameters", "best", "summary"];
  const DEFAULT_SELECTION = 5;
  const AUTO_REFRESH_MS = 5000;
  const PLOT_CONFIG = {
    responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
  };

  const initialHash = readHash(); // before showTab() rewrites it
  const state = {
    experiments: [], palette: ["#636EFA"], selected: [], tab: "metrics",
    listed: false, seq: 0, timer: null,
  };

  const $ = (selector) => document.querySelector(selector);

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else if (key === "color") node.style.background = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      throw new Error(`${response.status} ${response.statusText} from ${url}`);
    }
    if (!response.ok) throw new Error(body && body.error ? body.error : response.statusText);
    return body;
  }

  // ------------------------------------------------------------------ notices

  function showNotice(text, isError = false) {
    const box = $("#notice");
    box.textContent = text;
    box.className = isError ? "error" : "";
    box.hidden = false;
  }

  function clearNotice() {
    $("#notice").hidden = true;
  }

  const time = (iso) => (iso ? String(iso).replace("T", " ").slice(0, 19) : "—");

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    const m = Math.floor(seconds / 60);
    return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  const tagText = (tags) => Object.entries(tags || {}).map(([k, v]) => (v ? `${k}=${v}` : k)).join(", ");
  const colorOf = (id) => {
    const i = state.selected.indexOf(id);
    return i < 0 ? null : state.palette[i % state.palette.length];
  };
  const statusBadge = (status) => el("span", { className: `status status-${status}`, text: status || "?" });

  // ------------------------------------------------------------------ url hash

  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    const ids = params.get("ids");
    return { tab: params.get("tab"), ids: ids === null ? null : ids.split(",").filter(Boolean) };
  }

  function writeHash() {
    const hash = `#tab=${state.tab}&ids=${state.selected.map(encodeURIComponent).join(",")}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  // -------------------------------------------------------------------- picker

  function haystack(e) {
    return [e.name, e.id, e.status, time(e.start_time), tagText(e.tags), e.notes]
      .join(" ").toLowerCase();
  }

  function matches(e) {
    const tokens = $("#search").value.toLowerCase().split(/\s+/).filter(Boolean);
    const text = haystack(e);
    return tokens.every((t) => text.includes(t));
  }

  function renderPicker() {
    const list = $("#experiment-list");
    const shown = state.experiments.filter(matches);
    list.replaceChildren();
    for (const e of shown) {
      const selected = state.selected.includes(e.id);
      const box = el("input", { type: "checkbox", value: e.id, "aria-label": e.label });
      box.checked = selected;
      box.addEventListener("change", () => toggle(e.id, box.checked));
      const swatch = el("span", { className: "swatch", color: selected ? colorOf(e.id) : "transparent" });
      const second = [time(e.start_time), tagText(e.tags)].filter((t) => t && t !== "—").join(" · ");
      list.append(el("li", { className: selected ? "selected" : "", "data-id": e.id },
        el("label", { title: [e.label, e.problem, time(e.start_time), tagText(e.tags), e.notes].filter(Boolean).join("\n") }, box,
          el("span", { className: "line1" }, swatch, el("span", { className: "name", text: e.name }),
            statusBadge(e.status)),
          el("span", { className: "line2" }, el("code", { text: e.id }), ` · ${e.problem || second}`))));
    }
    if (!state.experiments.length) {
      list.append(el("li", { className: "empty", text: "No experiments in this store yet. Run one, then press Refresh." }));
    } else if (!shown.length) {
      list.append(el("li", { className: "empty", text: "No experiment matches the search." }));
    }
    const hidden = state.selected.filter((id) => !shown.some((e) => e.id === id)).length;
    $("#picker-count").textContent =
      `${shown.length} of ${state.experiments.length} shown · ${state.selected.length} selected` +
      (hidden ? ` (${hidden} hidden by the search)` : "");
  }

  function toggle(id, on) {
    const i = state.selected.indexOf(id);
    if (on && i < 0) state.selected.push(id);
    if (!on && i >= 0) state.selected.splice(i, 1);
    selectionChanged();
  }

  function selectionChanged() {
    clearNotice();
    writeHash();
    renderPicker();
    loadTab();
  }

  async function loadList() {
    const data = await getJSON("api/experiments");
    state.experiments = data.experiments;
    state.palette = data.palette;
    $("#base-dir").textContent = data.base_dir;
    const known = new Set(data.experiments.map((e) => e.id));
    let gone;
    if (!state.listed) {
      const wanted = initialHash.ids;
      const start = wanted === null ? data.experiments.slice(0, DEFAULT_SELECTION).map((e) => e.id) : wanted;
      state.selected = start.filter((id) => known.has(id));
      gone = start.filter((id) => !known.has(id));
      state.listed = true;
    } else {
      gone = state.selected.filter((id) => !known.has(id));
      state.selected = state.selected.filter((id) => known.has(id));
    }
    if (gone.length) reportGone(gone);
    writeHash();
    renderPicker();
  }

  function reportGone(ids) {
    showNotice(`No longer in the store, removed from the selection: ${ids.join(", ")}`);
  }

  // ---------------------------------------------------------------------- tabs

  function showTab(tab) {
    state.tab = TABS.includes(tab) ? tab : "metrics";
    for (const name of TABS) {
      const active = name === state.tab;
      $(`#tab-${name}`).setAttribute("aria-selected", String(active));
      $(`#tab-${name}`).tabIndex = active ? 0 : -1;
      $(`#panel-${name}`).hidden = !active;
    }
    writeHash();
  }

  async function loadTab() {
    const tab = state.tab;
    const seq = ++state.seq;
    const panel = $(`#panel-${tab}`);
    panel.dataset.state = "loading";
    try {
      if (!state.selected.length) {
        await RENDER[tab](null);
      } else {
        const ids = encodeURIComponent(state.selected.join(","));
        const data = await getJSON(`api/${tab}?ids=${ids}`);
        if (seq !== state.seq) return; // a newer request is on its way
        if (data.missing.length) {
          state.selected = state.selected.filter((id) => !data.missing.includes(id));
          reportGone(data.missing);
          writeHash();
          renderPicker();
        }
        const damaged = Object.entries(data.damaged || {});
        if (damaged.length) {
          showNotice(`Not shown, damaged: ${damaged.map(([id, why]) => `${id} (${why})`).join("; ")}`, true);
        }
        await RENDER[tab](data);
      }
      if (seq !== state.seq) return;
      panel.dataset.state = "ready";
      $("#updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (seq !== state.seq) return;
      panel.dataset.state = "error";
      showNotice(`Could not load the ${tab} view: ${err.message}`, true);
    }
  }

  function caption(tab, text) {
    $(`#panel-${tab} [data-role=caption]`).textContent = text;
  }

  const NOTHING_SELECTED = "Select experiments on the left to compare them.";
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function purge(node) {
    for (const plot of node.querySelectorAll(".js-plotly-plot")) Plotly.purge(plot);
  }

  async function renderMetrics(data) {
    const box = $("#metric-plots");
    $("#metric-legend").replaceChildren(...(data && data.metrics.length ? data.experiments : []).map((e) =>
      el("li", { "data-id": e.id }, el("span", { className: "swatch", color: e.color }), e.label)));
    if (!data || !data.metrics.length) {
      purge(box);
      box.replaceChildren();
      caption("metrics", data ? "The selected experiments have not logged any metrics yet." : NOTHING_SELECTED);
      return;
    }
    caption("metrics", `${plural(data.metrics.length, "metric")} of ${plural(data.experiments.length, "experiment")}, ` +
      "one line per experiment. Hover for exact values; drag to zoom, double-click to reset.");
    const existing = new Map([...box.querySelectorAll(".plot")].map((d) => [d.dataset.metric, d]));
    const wanted = new Set(data.metrics.map((m) => m.name));
    for (const [name, div] of existing) {
      if (!wanted.has(name)) { Plotly.purge(div); div.remove(); }
    }
    for (const child of [...box.children]) if (!child.classList.contains("plot")) child.remove();
    const draws = data.metrics.map((metric) => {
      const div = existing.get(metric.name) || el("div", { className: "plot", "data-metric": metric.name });
      box.append(div); // (re)appending keeps the server's order
      return Plotly.react(div, metric.figure.data, metric.figure.layout, PLOT_CONFIG);
    });
    await Promise.all(draws);
  }

  function experimentHeader(e, extra) {
    return el("th", { scope: "col", "data-id": e.id },
      el("span", { className: "swatch", color: e.color }), " ", e.label, extra || null);
  }

  function renderHyperparameters(data) {
    const table = $("#hp-table");
    table.replaceChildren();
    if (!data) { caption("hyperparameters", NOTHING_SELECTED); return; }
    const n = data.experiments.length;
    if (!data.total) {
      caption("hyperparameters", "The selected experiments have no hyperparameters logged.");
      return;
    }
    caption("hyperparameters", n < 2
      ? `${plural(data.total, "hyperparameter")}. Select two or more experiments to see differences.`
      : `${data.differing} of ${plural(data.total, "hyperparameter")} differ (highlighted, listed first); ` +
        "orange cells differ from the first column.");
    table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "hyperparameter" }),
      ...data.experiments.map((e, i) => experimentHeader(e,
        i === 0 && n > 1 ? el("span", { className: "baseline", text: " (baseline)" }) : null)))));
    const body = el("tbody");
    for (const row of data.rows) {
      body.append(el("tr", { className: row.differs ? "diff" : "same", "data-key": row.key },
        el("th", { scope: "row", className: "key", text: row.key }),
        ...row.values.map((text, i) => el("td", {
          className: row.changed[i] ? "changed" : "", title: row.exact[i], text,
        }))));
    }
    table.append(body);
    applyOnlyDifferences();
  }

  function applyOnlyDifferences() {
    const only = $("#only-differences").checked;
    for (const tr of document.querySelectorAll("#hp-table tr.same")) tr.hidden = only;
  }

  async function renderBest(data) {
    const chart = $("#best-chart");
    const table = $("#best-table");
    table.replaceChildren();
    if (!data || !data.total) {
      purge(chart.parentNode);
      chart.hidden = true;
      caption("best", data ? "The selected experiments have not logged any metrics yet." : NOTHING_SELECTED);
      return;
    }
    caption("best", (data.shown < data.total
      ? `The chart shows the first ${data.shown} of ${data.total} metrics; the table lists all. `
      : `${plural(data.total, "metric")}. `) +
      "Best = lowest for ↓ metrics (losses, errors, times), highest for ↑; ★ marks the winner.");
    chart.hidden = false;
    await Plotly.react(chart, data.figure.data, data.figure.layout, PLOT_CONFIG);
    table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "metric" }),
      el("th", { scope: "col", text: "best is" }), ...data.experiments.map((e) => experimentHeader(e)))));
    const body = el("tbody");
    for (const row of data.rows) {
      body.append(el("tr", { "data-metric": row.metric },
        el("th", { scope: "row", className: "key", text: row.metric }),
        el("td", { text: row.mode === "min" ? "lowest ↓" : "highest ↑" }),
        ...row.values.map((cell, i) => el("td", {
          className: `num${i === row.winner ? " winner" : ""}`,
          title: cell.value === null ? "" : `${cell.exact} at step ${cell.step}`,
          text: cell.value === null ? "—" : `${cell.text} (step ${cell.step})`,
        }))));
    }
    table.append(body);
  }

  function renderSummary(data) {
    const box = $("#summary-cards");
    box.replaceChildren();
    if (!data) { caption("summary", NOTHING_SELECTED); return; }
    caption("summary", `${plural(data.cards.length, "experiment")}. Latest value of each metric, ` +
      "read from the metric log (running experiments included).");
    for (const c of data.cards) {
      const facts = [
        ["Started", time(c.start_time)], ["Ended", time(c.end_time)],
        ["Duration", duration(c.duration_s)], ["Metric records", String(c.metric_records)],
      ];
      if (Object.keys(c.tags).length) facts.push(["Tags", tagText(c.tags)]);
      if (c.notes) facts.push(["Notes", c.notes]);
      const latest = c.latest.length
        ? el("table", { className: "latest" },
          el("thead", {}, el("tr", {}, el("th", { text: "metric" }), el("th", { text: "latest" }),
            el("th", { text: "step" }))),
          el("tbody", {}, ...c.latest.map((m) => el("tr", { "data-metric": m.metric },
            el("td", { text: m.metric }), el("td", { className: "num", title: m.exact, text: m.text }),
            el("td", { className: "num", text: m.step ?? "—" })))))
        : el("p", { className: "muted", text: "No metrics logged yet." });
      const card = el("article", { className: "card", "data-id": c.id, "data-status": c.status },
        el("h3", {}, el("span", { className: "swatch", color: c.color }),
          el("span", { className: "name", text: c.name }), el("code", { text: c.id }), statusBadge(c.status)),
        el("dl", {}, ...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { "data-fact": k, text: v })])),
        c.error ? el("div", { className: "error", text: c.error }) : null,
        latest);
      card.style.setProperty("--card-color", c.color);
      box.append(card);
    }
  }

  const RENDER = {
    metrics: renderMetrics, hyperparameters: renderHyperparameters, best: renderBest, summary: renderSummary,
  };

  // ------------------------------------------------------------------- refresh

  async function refresh() {
    const button = $("#refresh");
    button.disabled = true;
    try {
      clearNotice();
      await loadList();
      await loadTab();
    } catch (err) {
      showNotice(`Could not read the experiment list: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  }

  function setAutoRefresh(on) {
    clearInterval(state.timer);
    state.timer = on ? setInterval(() => { if (!document.hidden) refresh(); }, AUTO_REFRESH_MS) : null;
  }

  function wire() {
    for (const name of TABS) {
      $(`#tab-${name}`).addEventListener("click", () => { showTab(name); loadTab(); });
    }
    $("nav[role=tablist]").addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = TABS[(TABS.indexOf(state.tab) + step + TABS.length) % TABS.length];
      showTab(next);
      $(`#tab-${next}`).focus();
      loadTab();
    });
    $("#search").addEventListener("input", renderPicker);
    $("#select-shown").addEventListener("click", () => {
      for (const e of state.experiments.filter(matches)) {
        if (!state.selected.includes(e.id)) state.selected.push(e.id);
      }
      selectionChanged();
    });
    $("#clear-selection").addEventListener("click", () => { state.selected = []; selectionChanged(); });
    $("#refresh").addEventListener("click", refresh);
    $("#auto-refresh").addEventListener("change", (event) => setAutoRefresh(event.target.checked));
    $("#only-differences").addEventListener("change", applyOnlyDifferences);
    window.addEventListener("hashchange", () => {
      const { tab, ids } = readHash();
      if (ids !== null) state.selected = ids.filter((id) => state.experiments.some((e) => e.id === id));
      showTab(tab);
      renderPicker();
      loadTab();
    });
  }

  async function start() {
    if (typeof Plotly === "undefined") {
      showNotice("The charting library (plotly.js) did not load; charts cannot be drawn.", true);
    }
    wire();
    showTab(initialHash.tab);
    try {
      await loadList();
    } catch (err) {
      showNotice(`Could not read the experiment list: ${err.message}`, true);
      return;
    }
    await loadTab();
  }

  start();
})();
