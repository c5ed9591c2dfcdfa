// atlarge explorer: one page over the HTTP API of the same server.
//
// Plain JS on purpose (no build step): the page pulls scenarios and their
// levers from /api/scenarios, starts runs with POST /api/runs, polls their
// progress, and draws the bands from /api/runs/{id}/bands with the Plotly.js
// the server ships (no CDN, so it works offline). While a run goes on, the same
// address answers with the bands of the replications finished so far ("partial"),
// drawn with a note saying how many; the run's own replace them when it is done. Text from the server goes
// into the page as text, never as HTML.
"use strict";

const COLORS = { A: "#1f77b4", B: "#ff7f0e" };
const GROUP_COLORS = ["#2ca02c", "#9467bd", "#8c564b", "#17becf", "#d62728", "#7f7f7f"];
const POLL_MS = 250;
// Results so far are asked for at most this often (each costs the server a pass over the
// replications finished), and only when more have finished since the last drawing.
const PARTIAL_MS = 1000;
// The runs this page started (this tab; a reload keeps them). The page pairs only these,
// never another client's runs that the server also holds.
const MY_RUNS_KEY = "atlarge.runs";

function myRunIds() {
  try {
    return JSON.parse(sessionStorage.getItem(MY_RUNS_KEY) || "[]");
  } catch (_) {
    return [];
  }
}

function rememberRun(id) {
  const ids = myRunIds().filter((x) => x !== id);
  ids.push(id);
  sessionStorage.setItem(MY_RUNS_KEY, JSON.stringify(ids.slice(-50)));
}

const state = {
  meta: null,
  scenarios: [],
  scenario: null, // the picked scenario's detail (levers, parameters)
  runs: new Map(), // job id -> {status, request, label, scenarioName, summary, bands, brief}
  a: null,
  b: null,
};

// ---------------------------------------------------------------- helpers

function $(id) {
  return document.getElementById(id);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "className") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// A server bound beyond this machine needs its access token (atlarge serve --host):
// open the page as /#token=TOKEN; the token is kept for this tab and sent as a header.
const ACCESS_TOKEN = (() => {
  try {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem("atlarge-token", decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem("atlarge-token");
  } catch (_) {
    return null;
  }
})();

function withToken(options = {}) {
  if (!ACCESS_TOKEN) return options;
  const headers = { ...(options.headers || {}), Authorization: `Bearer ${ACCESS_TOKEN}` };
  return { ...options, headers };
}

// Download links cannot send a header: fetch them with the token and save the file.
document.addEventListener("click", async (ev) => {
  const a = ev.target instanceof Element ? ev.target.closest("a[download][href^='/api/']") : null;
  if (!a || !ACCESS_TOKEN) return;
  ev.preventDefault();
  const res = await fetch(a.getAttribute("href"), withToken());
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const tmp = Object.assign(document.createElement("a"), { href: url, download: a.download });
  tmp.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});

async function api(path, options = {}) {
  const res = await fetch(path, withToken(options));
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    body = null;
  }
  if (!res.ok) {
    const err = new Error(describeError(res.status, body));
    err.status = res.status;
    throw err;
  }
  return body;
}

function describeError(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        const loc = (d.loc || []).filter((p) => p !== "body").join(" › ");
        return loc ? `${loc}: ${d.msg}` : d.msg;
      })
      .join("\n");
  }
  if (typeof detail === "string") return detail;
  return `the server answered ${status}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fmtNumber(v) {
  return Number(v).toLocaleString("en-US", { maximumFractionDigits: 3 });
}

// Replications per parameter draw when the field is empty, as `atlarge run` picks it
// (atlarge.scenario.uncertainty.default_inner): whole draws, 10-40 of them, as close to
// 20 as a divisor allows; one each up to 40 replications; none below 2.
function autoInner(reps) {
  if (!(reps >= 2)) return null;
  if (reps <= 40) return 1;
  let best = null; // the number of draws: 10-40, dividing reps, closest to 20
  for (let n = 10; n <= 40; n += 1) {
    if (reps % n !== 0) continue;
    if (best === null || Math.abs(n - 20) < Math.abs(best - 20)) best = n;
  }
  return best === null ? null : reps / best; // null: the run holds parameters (and says so)
}

function plural(n, word, words) {
  return `${fmtNumber(n)} ${n === 1 ? word : words || word + "s"}`;
}

// A dotted parameter path that wraps only after its dots, never inside a name.
function pathCode(path) {
  const code = el("code");
  path.split(".").forEach((part, i, parts) => {
    code.append(part + (i < parts.length - 1 ? "." : ""));
    if (i < parts.length - 1) code.append(el("wbr"));
  });
  return code;
}

function rgba(hex, alpha) {
  const h = hex.replace("#", "");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

// ---------------------------------------------------------------- scenarios and levers

function leverId(lever) {
  return "lever-" + lever.path.replaceAll(".", "-");
}

function switchId(lever) {
  return "switch-" + lever.path.replaceAll(".", "-");
}

function renderLevers() {
  const box = $("levers");
  box.replaceChildren();
  const groups = new Map();
  for (const lever of state.scenario.levers) {
    if (!groups.has(lever.group)) groups.set(lever.group, []);
    groups.get(lever.group).push(lever);
  }
  for (const [group, levers] of groups) {
    const fs = el("fieldset", {}, el("legend", { text: group }));
    for (const lever of levers) fs.append(leverControl(lever));
    box.append(fs);
  }
}

function leverControl(lever) {
  if (lever.kind === "toggle") {
    return el(
      "label",
      { className: "check" },
      el("input", { type: "checkbox", id: leverId(lever), "data-path": lever.path, checked: lever.value }),
      " " + (lever.switch_label || lever.label),
    );
  }
  const input = el("input", {
    type: "number",
    id: leverId(lever),
    "data-path": lever.path,
    value: lever.value,
    min: lever.min,
    max: lever.max,
    step: lever.step,
  });
  const wrap = el("div", { className: "lever" });
  if (lever.off_value !== null && lever.off_value !== undefined) {
    const on = lever.value !== lever.off_value;
    const sw = el("input", { type: "checkbox", id: switchId(lever), checked: on });
    input.disabled = !on;
    if (!on) input.value = "";
    sw.addEventListener("change", () => {
      input.disabled = !sw.checked;
      if (sw.checked && input.value === "") input.value = lever.value || lever.step || 1;
    });
    wrap.append(el("label", { className: "check" }, sw, " " + lever.switch_label));
  }
  wrap.append(el("label", {}, lever.label + " ", input, " " + lever.unit));
  if (lever.note) wrap.append(el("div", { className: "lever-note", text: lever.note }));
  return wrap;
}

// The overrides the levers ask for: only those that differ from the scenario,
// so a lever left alone never flattens a time-varying value.
function collectOverrides() {
  const overrides = {};
  for (const lever of state.scenario.levers) {
    const input = $(leverId(lever));
    if (lever.kind === "toggle") {
      if (input.checked !== lever.value) overrides[lever.path] = input.checked;
      continue;
    }
    const sw = $(switchId(lever));
    let value;
    if (sw && !sw.checked) {
      value = lever.off_value;
    } else {
      if (input.value.trim() === "" || !Number.isFinite(Number(input.value))) {
        throw new Error(`${lever.label}: enter a number`);
      }
      value = Number(input.value);
    }
    if (value !== lever.value) overrides[lever.path] = value;
  }
  return overrides;
}

// A run's name from what its levers changed: "Guard not deployed, Arrest target 2,000".
function describeOverrides(overrides) {
  const levers = new Map((state.scenario?.levers || []).map((l) => [l.path, l]));
  const parts = Object.entries(overrides).map(([path, v]) => {
    const lever = levers.get(path);
    if (!lever) return `${path} = ${typeof v === "number" ? fmtNumber(v) : v}`;
    if (lever.kind === "toggle") return `${lever.label} ${v ? "on" : "off"}`;
    if (lever.off_label && v === lever.off_value) return lever.off_label;
    return `${lever.label} ${fmtNumber(v)}`;
  });
  return parts.length ? parts.join(", ") : "as in the scenario";
}

async function pickScenario(id) {
  state.scenario = await api(`/api/scenarios/${encodeURIComponent(id)}`);
  $("scenario-description").textContent = state.scenario.description;
  $("days").value = state.scenario.days;
  renderLevers();
  renderParameters();
}

function resetLevers() {
  renderLevers();
  $("days").value = state.scenario.days;
}

// ---------------------------------------------------------------- runs

function runLabel(run) {
  return `${run.scenarioName}: ${run.label}`;
}

function describeRequest(req) {
  const days = req.days ? `${req.days} days` : "scenario horizon";
  const inner = req.uncertainty_inner;
  const unc = inner
    ? ` · ${plural(Math.floor(req.reps / inner), "parameter draw")} × ${plural(inner, "replication")}`
    : "";
  return `${plural(req.reps, "replication")} · ${days} · seed ${req.seed}${unc}`;
}

async function startRun(event) {
  event.preventDefault();
  showError("");
  let overrides;
  try {
    overrides = collectOverrides();
  } catch (err) {
    showError(err.message);
    return;
  }
  const body = {
    scenario: state.scenario.id,
    overrides,
    reps: Number($("reps").value),
    days: Number($("days").value) || null,
    seed: Number($("seed").value),
  };
  if ($("uncertainty").checked) {
    const inner = Number($("inner").value) || autoInner(body.reps);
    if (inner) body.uncertainty_inner = inner;
  }
  setBusy(true);
  try {
    const job = await api("/api/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    rememberRun(job.job_id);
    const run = {
      id: job.job_id,
      status: job,
      request: job.request,
      label: describeOverrides(job.request.overrides),
      scenarioName: state.scenario.name,
    };
    state.runs.set(run.id, run);
    renderRuns();
    await follow(run);
  } catch (err) {
    showError(err.message);
  } finally {
    setBusy(false);
  }
}

async function follow(run) {
  const bar = $("progress");
  bar.hidden = false;
  let drawn = 0; // replications in the charts so far
  let asked = 0; // when results so far were last asked for
  for (;;) {
    const st = await api(`/api/runs/${run.id}`);
    run.status = st;
    bar.max = st.total;
    bar.value = st.done;
    $("status").textContent =
      st.status === "queued" ? "Queued…" : `Running: ${st.done} of ${st.total} replications`;
    renderRuns();
    if (st.status !== "queued" && st.status !== "running") break; // done, failed, cancelled
    if (st.status === "running" && st.done > drawn && Date.now() - asked >= PARTIAL_MS) {
      asked = Date.now();
      drawn = (await showPartial(run, drawn)) || drawn;
    }
    await sleep(POLL_MS);
  }
  bar.hidden = true;
  if (run.status.status !== "done") {
    $("status").textContent = "";
    if (drawn) {
      $("partial-note").textContent = "";
      await renderResults(); // the charts go back to the finished runs
    }
    showError(`The run ${run.status.status === "failed" ? "failed" : "was cancelled"}: ${run.status.error}`);
    return;
  }
  $("status").textContent = `Finished: ${runLabel(run)}`;
  await loadResults(run);
  if (state.a === null || !state.runs.has(state.a)) state.a = run.id;
  else state.b = run.id;
  renderRuns();
  await renderResults();
  $("partial-note").textContent = ""; // the run's own results replace those so far
}

// The charts of a running run from the replications finished so far, alone (the table,
// totals and comparison need the whole run), with a note saying how many. Returns the
// replications drawn, or 0 when there is nothing new to draw (no chunk in yet).
async function showPartial(run, drawn) {
  let bands;
  try {
    bands = await api(`/api/runs/${run.id}/bands`);
  } catch (err) {
    if (err.status === 409 || err.status === 404) return 0; // not started, or just ended
    throw err;
  }
  if (!bands.partial || bands.reps_done <= drawn) return 0;
  const live = { ...run, bands, summary: { mechanisms: bands.mechanisms } };
  $("results").hidden = false;
  $("empty").hidden = true;
  $("results").classList.add("partial");
  $("results-title").textContent = "Run in progress: results so far";
  $("results-meta").replaceChildren(el("div", { className: "run-a" }, `${runLabel(run)} (${describeRequest(run.request)}).`));
  for (const id of WHOLE_RUN_ONLY) if ($(id)) $(id).hidden = true;
  drawCharts([["A", live]], { partial: true });
  $("partial-note").textContent =
    `${fmtNumber(bands.reps_done)} of ${fmtNumber(bands.reps_total)} replications so far. ` +
    "The charts are redrawn as more finish; the table and the totals by stage and group follow when the run is done.";
  return bands.reps_done;
}

// What only a finished run has (its summary, the comparison): hidden while a run is drawn so far.
const WHOLE_RUN_ONLY = ["brief", "kpi-table", "compare-warning", "kpi-details", "chart-costs", "chart-groups"];

async function loadResults(run) {
  if (!run.summary) run.summary = await api(`/api/runs/${run.id}/summary`);
  if (!run.bands) run.bands = await api(`/api/runs/${run.id}/bands`);
  if (!run.brief) run.brief = await api(`/api/runs/${run.id}/brief`);
}

// "In brief" of each run shown: the text of brief.md and the top of report.html, sent as
// paragraphs of sentences of segments (a name as code), so nothing is parsed or injected.
function renderBrief(runs) {
  const box = $("brief");
  const parts = [];
  for (const [tag, run] of runs) {
    const head = runs.length > 1 ? `${run.brief.title}, run ${tag}` : run.brief.title;
    parts.push(el("h3", { text: head }));
    for (const paragraph of run.brief.paragraphs) {
      const p = el("p", { className: runs.length > 1 ? `run-${tag.toLowerCase()}` : null });
      paragraph.forEach((sentence, i) => {
        if (i) p.append(" ");
        for (const seg of sentence) p.append(seg.code ? el("code", { text: seg.text }) : seg.text);
      });
      parts.push(p);
    }
  }
  box.replaceChildren(...parts);
}

function setBusy(busy) {
  $("run-button").disabled = busy;
  $("run-button").textContent = busy ? "Running…" : "Run";
}

function showError(msg) {
  $("error").textContent = msg;
  $("error").hidden = !msg;
}

function renderRuns() {
  const body = $("runs").querySelector("tbody");
  body.replaceChildren();
  for (const run of [...state.runs.values()].reverse()) {
    const done = run.status.status === "done";
    const pick = (slot) =>
      el("input", {
        type: "radio",
        name: `pick-${slot}`,
        value: run.id,
        "aria-label": `run ${run.id} as ${slot.toUpperCase()}`,
        checked: state[slot] === run.id,
        disabled: !done,
        onchange: async () => {
          state[slot] = run.id;
          await renderResults();
        },
      });
    const base = `/api/runs/${run.id}`;
    const file = `${run.request.scenario}-${run.id}`;
    const downloads = done
      ? el(
          "span",
          {},
          el("a", { href: `${base}/summary`, download: `${file}-summary.json` }, "summary.json"),
          el("a", { href: `${base}/timeseries?format=csv`, download: `${file}-national.csv` }, "CSV"),
          el("a", { href: `${base}/timeseries?format=parquet`, download: `${file}-national.parquet` }, "Parquet"),
          el("a", { href: `${base}/report`, download: `${file}-report.html` }, "report"),
          // The KPI and field-office tables, as `atlarge run --export` writes them.
          el("a", { href: `${base}/export.csv?table=kpis`, download: `${file}-kpis.csv`, title: "The KPI table as CSV" }, "KPIs CSV"),
          el("a", { href: `${base}/export.csv?table=offices`, download: `${file}-offices.csv`, title: "The field-office table as CSV" }, "offices CSV"),
          el("a", { href: `${base}/export.xlsx`, download: `${file}-results.xlsx`, title: "Both tables as a workbook (sheets KPIs, Offices, About)" }, "XLSX"),
        )
      : el("span", {
          text: run.status.status === "failed" ? `failed: ${run.status.error}` : `${run.status.status} ${run.status.done}/${run.status.total}`,
        });
    const rowClass = state.a === run.id ? "run-a" : state.b === run.id ? "run-b" : null;
    body.append(
      el(
        "tr",
        { className: rowClass, "data-job": run.id },
        el("td", {}, pick("a")),
        el("td", {}, pick("b")),
        el(
          "td",
          {},
          el("div", { text: runLabel(run) }),
          el("div", { className: "note", text: describeRequest(run.request) }),
          el("div", { className: "downloads" }, downloads),
        ),
      ),
    );
  }
  $("clear-b").hidden = state.b === null;
}

// ---------------------------------------------------------------- results

function shown() {
  const out = [];
  if (state.a && state.runs.get(state.a)?.summary) out.push(["A", state.runs.get(state.a)]);
  if (state.b && state.b !== state.a && state.runs.get(state.b)?.summary) {
    out.push(["B", state.runs.get(state.b)]);
  }
  return out;
}

async function renderResults() {
  for (const id of [state.a, state.b]) {
    const run = id && state.runs.get(id);
    if (run && run.status.status === "done") await loadResults(run);
  }
  const runs = shown();
  $("results").hidden = runs.length === 0;
  $("empty").hidden = runs.length > 0;
  $("results").classList.remove("partial");
  if (!runs.length) return;
  for (const id of WHOLE_RUN_ONLY) if ($(id) && id !== "compare-warning") $(id).hidden = false; // renderDifferences says
  $("results-title").textContent =
    runs.length === 2 ? "Run A compared with run B" : "Run A";
  $("results-meta").replaceChildren(
    ...runs.map(([tag, run]) =>
      el(
        "div",
        { className: `run-${tag.toLowerCase()}` },
        `${tag}: ${runLabel(run)} (${describeRequest(run.request)}). ${bandsContain(run.summary.uncertainty)}`,
      ),
    ),
  );
  const query = runs.map(([tag, run]) => `${tag.toLowerCase()}=${run.id}`).join("&");
  const compared = await api(`/api/compare?${query}&allow_different=true`);
  renderBrief(runs);
  renderDifferences(compared.differences || []);
  renderKpis(runs, compared);
  drawCharts(runs);
  renderParameters();
}

// What the spread over replications contains, in words (as the HTML report says it),
// with the draws and replications per draw as run.
function bandsContain(u) {
  if (!u || !u.draws) return "Bands: chance variation only, every parameter at its stated value.";
  const per = u.replications_per_draw ?? u.inner;
  // Under a posterior (summary.json says whether it was used), its parameters are drawn
  // jointly and the others held or drawn over their ranges (posterior_others).
  const joint = u.posterior ? (u.posterior_parameters || []) : [];
  const ranged = u.drawn_parameters.filter((p) => !joint.includes(p));
  const what = !u.posterior
    ? plural(ranged.length, "ranged parameter")
    : u.posterior_others === "drawn"
      ? `the posterior of ${plural(joint.length, "fitted parameter")} and ` +
        plural(ranged.length, "ranged parameter")
      : `the posterior of ${plural(joint.length, "fitted parameter")}, every other held`;
  return (
    `Bands: chance variation and parameter uncertainty (${plural(u.draws, "draw")} of ` +
    `${what}, ${plural(per, "replication")} each).`
  );
}

// Runs that are not like with like (another horizon or start date, other bands) are
// compared only with a loud warning above the table.
function renderDifferences(differences) {
  let box = $("compare-warning");
  if (!box) {
    box = el("div", { id: "compare-warning", className: "warning", role: "alert" });
    $("kpi-table").before(box);
  }
  box.hidden = differences.length === 0;
  box.replaceChildren(
    el("strong", { text: "These runs are not like with like: " }),
    differences.map((d) => d.message).join("; ") +
      (differences.some((d) => d.blocking)
        ? ". Totals cover different days; compare the KPIs with care."
        : "."),
  );
}

// The KPI table, labelled and formatted by the server as in the HTML report; what each
// KPI means (the registry's definitions, from /api/meta) as a tooltip and in a list under it.
function renderKpis(runs, compared) {
  const table = $("kpi-table");
  const kpis = state.meta.kpis;
  const head = el("tr", {}, el("th", { text: "Measure" }));
  for (const [tag] of runs) {
    head.append(el("th", { text: `${tag}: median` }), el("th", { text: `${tag}: 5th–95th percentile` }));
  }
  if (runs.length === 2) head.append(el("th", { text: "B − A (medians)" }));
  const rows = [head];
  const terms = [];
  for (const [key, kpi] of Object.entries(compared.kpis)) {
    const info = kpis[key];
    const tr = el("tr", { "data-kpi": key }, el("td", { text: kpi.label, title: info.definition }));
    for (const [tag] of runs) {
      const f = kpi.formatted[tag.toLowerCase()];
      tr.append(el("td", { className: "num", text: f.p50 }), el("td", { className: "num", text: `${f.p5} – ${f.p95}` }));
    }
    if (runs.length === 2) tr.append(el("td", { className: "num", text: kpi.formatted.difference_p50 }));
    rows.push(tr);
    terms.push(el("dt", { text: `${info.label} (${info.unit})` }), el("dd", { "data-kpi": key, text: info.definition }));
  }
  table.replaceChildren(...rows);
  let list = $("kpi-definitions");
  if (!list) {
    list = el("dl", { id: "kpi-definitions", className: "note" });
    table.after(el("details", { id: "kpi-details" }, el("summary", { text: "What each measure means" }), list));
  }
  list.replaceChildren(...terms);
}

// A chart title that says when its measure is drawn as a trailing average, as the report does.
function smoothed(title, measure) {
  return measure.smooth_days > 1 ? `${title} (trailing ${measure.smooth_days}-day average)` : title;
}

function layout(title, yTitle, extra = {}) {
  return {
    title: { text: title, font: { size: 15 } },
    height: 360,
    margin: { l: 70, r: 20, t: 40, b: 40 },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
    xaxis: { gridcolor: "#eee" },
    yaxis: { title: { text: yTitle }, gridcolor: "#eee", rangemode: "tozero" },
    legend: { orientation: "h", y: -0.15 },
    hovermode: "x unified",
    ...extra,
  };
}

const CONFIG = { displaylogo: false, responsive: true };

// The p5-p95 and p25-p75 bands and the median line of one series.
function bandTraces(x, b, name, color) {
  const edge = { x, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: name };
  return [
    { ...edge, y: b.p95 },
    { ...edge, y: b.p5, fill: "tonexty", fillcolor: rgba(color, 0.15), name: `${name} p5–p95` },
    { ...edge, y: b.p75 },
    { ...edge, y: b.p25, fill: "tonexty", fillcolor: rgba(color, 0.3), name: `${name} p25–p75` },
    { x, y: b.p50, mode: "lines", line: { color, width: 2 }, name: `${name} (median)`, legendgroup: name },
  ];
}

// A line each band is compared with (target, beds, seats); one black line
// when both runs share it, a line in each run's colour when they differ.
function referenceTraces(runs, key, name) {
  const same =
    runs.length === 2 &&
    JSON.stringify(runs[0][1].bands.reference[key]) === JSON.stringify(runs[1][1].bands.reference[key]) &&
    JSON.stringify(runs[0][1].bands.dates) === JSON.stringify(runs[1][1].bands.dates);
  const list = same ? [runs[0]] : runs;
  return list.map(([tag, run]) => ({
    x: run.bands.dates,
    y: run.bands.reference[key],
    mode: "lines",
    name: runs.length === 2 && !same ? `${tag}: ${name}` : name,
    line: { color: runs.length === 2 && !same ? COLORS[tag] : "black", dash: "dash", width: 1.5 },
  }));
}

// Several series of each run in one chart (groups, channels): A as bands, B as dashed medians.
function seriesSetTraces(runs, seriesOf) {
  const traces = [];
  for (const [tag, run] of runs) {
    seriesOf(run).forEach((s, j) => {
      const color = GROUP_COLORS[j % GROUP_COLORS.length];
      if (tag === "A") traces.push(...bandTraces(run.bands.dates, s.bands, `A: ${s.label}`, color));
      else
        traces.push({
          x: run.bands.dates,
          y: s.bands.p50,
          mode: "lines",
          line: { color, dash: "dash", width: 2 },
          name: `B: ${s.label} (median)`,
        });
    });
  }
  return traces;
}

function dashedNote(runs) {
  return runs.length === 2 ? " (B as dashed medians)" : "";
}

function seriesChart(div, runs, key, title, yTitle, refKey, refName) {
  const traces = [];
  for (const [tag, run] of runs) {
    const s = run.bands.series[key];
    traces.push(...bandTraces(run.bands.dates, s.bands, `${tag}: ${s.label}`, COLORS[tag]));
  }
  if (refKey) traces.push(...referenceTraces(runs, refKey, refName));
  Plotly.react(div, traces, layout(title, yTitle), CONFIG);
}

function barChart(div, runs, categories, statsOf, title, yTitle) {
  const traces = runs.map(([tag, run]) => {
    const stats = statsOf(run);
    const mid = stats.map((s) => s.p50);
    return {
      type: "bar",
      x: categories,
      y: mid,
      name: `${tag} (median, p5–p95)`,
      marker: { color: COLORS[tag] },
      error_y: {
        type: "data",
        symmetric: false,
        array: stats.map((s, i) => s.p95 - mid[i]),
        arrayminus: stats.map((s, i) => mid[i] - s.p5),
      },
    };
  });
  Plotly.react(div, traces, layout(title, yTitle, { barmode: "group", hovermode: "closest" }), CONFIG);
}

// Labels, units and smoothing come from the server's registry (/api/meta), never a copy here.
// With ``partial`` (a running run's replications so far, no summary yet) the bar charts of
// totals, which need the whole run's summary, are left out.
function drawCharts(runs, { partial = false } = {}) {
  const m = state.meta.measures;
  seriesChart($("chart-arrests"), runs, "arrests", `${m.arrests.label} against the target`, m.arrests.unit, "target", "Target");
  seriesChart($("chart-detention"), runs, "detained", `${m.detained.label} against bed capacity`, m.detained.unit, "beds", "Beds");
  seriesChart($("chart-removals"), runs, "removed", `${smoothed(m.removed.label, m.removed)} against seats`, m.removed.unit, "seats", "Seats per day");

  // Panels of mechanisms: shown when a run has the mechanism on (a stage switched off shows nothing).
  const on = (mech) => runs.some(([, run]) => run.summary.mechanisms[mech]);
  const channelKeys = ["arrests_custodial", "arrests_at_large", "arrests_collateral"];
  $("chart-channels").hidden = !on("arrest_channels");
  if (on("arrest_channels")) {
    const traces = seriesSetTraces(runs, (run) => channelKeys.map((key) => run.bands.series[key]));
    const first = m.arrests_at_large;
    Plotly.react($("chart-channels"), traces, layout(smoothed("Arrests per day by channel", first) + dashedNote(runs), first.unit), CONFIG);
  }
  $("chart-forgone").hidden = !on("holding");
  if (on("holding")) seriesChart($("chart-forgone"), runs, "arrests_forgone_capacity", smoothed(m.arrests_forgone_capacity.label, m.arrests_forgone_capacity), m.arrests_forgone_capacity.unit);

  const rel = [];
  for (const [tag, run] of runs) {
    const s = run.bands.series;
    rel.push(...bandTraces(run.bands.dates, s.released.bands, `${tag}: ${s.released.label}`, COLORS[tag]));
    rel.push({
      x: run.bands.dates,
      y: s.released_capacity.bands.p50,
      mode: "lines",
      line: { color: COLORS[tag], dash: "dot", width: 1.5 },
      name: `${tag}: ${s.released_capacity.label} (median)`,
    });
    if (run.summary.mechanisms.limited_countries)
      rel.push({
        x: run.bands.dates,
        y: s.releases_post_order_limit.bands.p50,
        mode: "lines",
        line: { color: COLORS[tag], dash: "dashdot", width: 1.5 },
        name: `${tag}: ${s.releases_post_order_limit.label} (median)`,
      });
  }
  Plotly.react($("chart-releases"), rel, layout(smoothed(m.released.label, m.released), m.released.unit), CONFIG);

  // The court stage, drawn for the runs that have it (a run without courts has no backlog).
  $("chart-court-backlog").hidden = !on("courts");
  $("chart-court-docket").hidden = !on("courts");
  if (on("courts")) {
    const withCourts = runs.filter(([, run]) => run.summary.mechanisms.courts);
    const backlog = m.court_backlog;
    const waiting = m.court_detained_waiting;
    seriesChart($("chart-court-backlog"), withCourts, "court_backlog", backlog.label, backlog.unit);
    seriesChart($("chart-court-docket"), withCourts, "court_detained_waiting", `${waiting.label} (the detained docket)`, waiting.unit);
  }
  drawBinding(runs);
  drawBudget(runs);
  drawHome(runs);
  if (!partial) drawTotals(runs);

  const traces = seriesSetTraces(runs, (run) => run.bands.groups);
  const byGroup = m.arrests_by_group;
  Plotly.react($("chart-group-days"), traces, layout(smoothed(byGroup.label, byGroup) + dashedNote(runs), byGroup.unit), CONFIG);
}

// Totals over the horizon from each run's summary: cost by stage, arrests by group.
function drawTotals(runs) {
  const k = state.meta.kpis;
  const stages = state.meta.cost_stages;
  const cost = k.cost_total_usd;
  barChart(
    $("chart-costs"),
    runs,
    stages.map((s) => s.replaceAll("_", " ")),
    (run) => stages.map((s) => run.summary.cost_by_stage_usd[s]),
    `Cost by stage over the horizon (${cost.unit})`,
    cost.unit,
  );

  const groups = runs[0][1].summary.by_group;
  barChart(
    $("chart-groups"),
    runs,
    groups.map((g) => g.group),
    (run) => groups.map((g) => run.summary.by_group.find((h) => h.key === g.key)?.arrests_total ?? { p5: null, p50: null, p95: null }),
    "Arrests by priority group over the horizon",
    k.arrests_total.unit,
  );
}

// Which capacity binds: for each run, the share of replications in which each capacity
// is full, day by day (A solid, B dashed; one colour per capacity), and the server's
// sentence saying which binds first. Judges appear only for a run with courts.
function drawBinding(runs) {
  const colorOf = new Map();
  const traces = [];
  for (const [tag, run] of runs) {
    for (const c of run.bands.binding.constraints) {
      if (!colorOf.has(c.key)) colorOf.set(c.key, GROUP_COLORS[colorOf.size % GROUP_COLORS.length]);
      traces.push({
        x: run.bands.dates,
        y: c.share.map((v) => 100 * v),
        mode: "lines",
        line: { color: colorOf.get(c.key), width: 2, dash: tag === "A" ? "solid" : "dash" },
        name: runs.length === 2 ? `${tag}: ${c.label}` : c.label,
        hovertemplate: "%{y:.0f}%",
      });
    }
  }
  const [, first] = runs[0];
  const majority = 100 * first.bands.binding.majority;
  traces.push({
    x: first.bands.dates,
    y: first.bands.dates.map(() => majority),
    mode: "lines",
    name: "Most replications",
    line: { color: "black", dash: "dot", width: 1 },
    hoverinfo: "skip",
  });
  const lay = layout("Which capacity binds: share of replications in which each is full" + (runs.length === 2 ? " (B dashed)" : ""), "% of replications");
  lay.yaxis = { ...lay.yaxis, range: [0, 100], ticksuffix: "%" };
  Plotly.react($("chart-binding"), traces, lay, CONFIG);
  const meanings = new Map();
  for (const [, run] of runs) for (const c of run.bands.binding.constraints) meanings.set(c.key, c);
  $("binding-text").replaceChildren(
    ...runs.map(([tag, run]) =>
      el("p", { className: `run-${tag.toLowerCase()}`, "data-run": tag }, runs.length === 2 ? `${tag}: ${run.bands.binding.text}` : run.bands.binding.text),
    ),
    el(
      "details",
      {},
      el("summary", { text: "When each capacity counts as full" }),
      el("dl", {}, ...[...meanings.values()].flatMap((c) => [el("dt", { text: c.label }), el("dd", { "data-constraint": c.key, text: c.definition })])),
    ),
  );
}

// The Budget panel, for the first shown run that has funding lines (A, else B): each
// line's runway as the report writes it (formatted by the server), and cumulative
// spending against each line as bands, with the line's amount dashed in its colour.
// Hidden when no shown run has a budget.
const LINE_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2", "#7f7f7f", "#bcbd22"];

function drawBudget(runs) {
  const found = runs.find(([, run]) => run.bands.budget);
  const panel = $("budget-panel");
  panel.hidden = !found;
  if (!found) return;
  const [tag, run] = found;
  const budget = run.bands.budget;
  $("budget-title").textContent = runs.length === 2 ? `Budget of run ${tag}` : "Budget";
  $("budget-note").textContent =
    "Each day's cost of a purpose is charged to the first open line that pays for it and has money left, " +
    "in the order the scenario lists the lines. " + budget.on_exhausted_text;
  const head = el(
    "tr",
    {},
    ...["Line", "Pays for", "Amount", "Spent in the horizon (median)", "5th–95th percentile", "Spent by (median date)"].map((t) => el("th", { text: t })),
  );
  const rows = budget.lines.map((line) =>
    el(
      "tr",
      { "data-line": line.line },
      el("td", { text: line.label }),
      el("td", { text: line.formatted.purposes }),
      el("td", { className: "num", text: line.formatted.amount }),
      el("td", { className: "num", text: line.formatted.spent }),
      el("td", { className: "num", text: line.formatted.spent_band }),
      el("td", { className: "runway", text: line.formatted.runway }),
    ),
  );
  $("runway-table").replaceChildren(head, ...rows);
  const traces = [];
  budget.lines.forEach((line, j) => {
    const color = LINE_COLORS[j % LINE_COLORS.length];
    const band = bandTraces(run.bands.dates, line.cumulative, line.label, color);
    band[band.length - 1].name = line.label; // the legend names the line
    traces.push(...band, {
      x: run.bands.dates,
      y: run.bands.dates.map(() => line.amount_usd.p50),
      mode: "lines",
      line: { color, dash: "dash", width: 1 },
      name: `${line.label}: amount`,
      legendgroup: line.label,
      showlegend: false,
    });
  });
  const lay = layout("Cumulative spending against each funding line (dashed: the line's amount)", "USD spent (cumulative)", { height: 460 });
  lay.yaxis = { ...lay.yaxis, tickprefix: "$", exponentformat: "B" };
  Plotly.react($("chart-budget"), traces, lay, CONFIG);
}

// The panel "What home missions lose", for the first shown run that takes agent-days from
// another agency (A, else B), as the Budget panel does: one row per agency and measure,
// formatted by the server as the report writes it, with the assumptions behind it, and a
// bar per row (median, whiskers p5-p95). The units differ (arrests, victims, dollars), so
// each unit gets its own axis: bars of different units are never set against each other.
// Hidden when no shown run has any.
function drawHome(runs) {
  const found = runs.find(([, run]) => run.bands.home_missions);
  const panel = $("home-panel");
  panel.hidden = !found;
  if (!found) return;
  const [tag, run] = found;
  const home = run.bands.home_missions;
  $("home-title").textContent = runs.length === 2 ? `What home missions lose in run ${tag}` : "What home missions lose";
  $("home-definition").textContent = home.definition;
  $("home-band").textContent = home.band_text;
  $("home-table").replaceChildren(homeHead(), ...home.rows.map(homeRow));
  drawHomeChart(home.rows, COLORS[tag]);
}

function homeHead() {
  const titles = ["Agency", "Measure", "Forgone (median)", "5th–95th percentile", "At the loss range", "Unit", "Marginal loss (assumption)", "Lag (assumption)"];
  return el("tr", {}, ...titles.map((t) => el("th", { text: t })));
}

function homeRow(r) {
  const f = r.formatted;
  const assumption = (text, a) => el("td", {}, el("span", { className: "badge", text: "assumption" }), ` ${text}`, a.rationale ? el("div", { className: "note" }, el("i", { text: a.rationale })) : null);
  return el(
    "tr",
    { "data-row": `${r.key}.${r.measure}` },
    el("td", { text: r.agency }),
    el("td", {}, r.label, el("div", { className: "note", title: f.average_from, text: `average ${f.per_agent_day} per agent-day` })),
    el("td", { className: "num", text: f.median }),
    el("td", { className: "num", text: f.band }),
    el("td", { className: "num", text: f.at_range }),
    el("td", { text: r.unit }),
    assumption(f.loss, r.marginal_loss),
    assumption(f.lag, r.lag_days),
  );
}

const HOME_ROW_PX = 34; // height of one bar's row
const HOME_GAP_PX = 70; // room for an axis and its title between two units

function drawHomeChart(rows, color) {
  const units = [...new Set(rows.map((r) => r.unit))];
  const plotPx = HOME_ROW_PX * rows.length + HOME_GAP_PX * (units.length - 1);
  const lay = layout("Output forgone over the horizon: median, whiskers 5th–95th percentile (one axis per unit)", "", {
    height: plotPx + 120,
    showlegend: false,
    hovermode: "closest",
    margin: { l: 20, r: 20, t: 40, b: 60 },
  });
  const traces = [];
  let top = 1;
  units.forEach((unit, i) => {
    const mine = rows.filter((r) => r.unit === unit);
    const n = i === 0 ? "" : String(i + 1);
    const h = (HOME_ROW_PX * mine.length) / plotPx;
    const mid = mine.map((r) => r.forgone.p50);
    traces.push({
      type: "bar",
      orientation: "h",
      x: mid,
      y: mine.map((r) => `${r.agency}: ${r.label}`),
      xaxis: `x${n}`,
      yaxis: `y${n}`,
      name: unit,
      marker: { color },
      customdata: mine.map((r) => `${r.formatted.median} (${r.formatted.band}) ${r.unit}`),
      hovertemplate: "%{y}: %{customdata}<extra></extra>",
      error_x: {
        type: "data",
        symmetric: false,
        array: mine.map((r, j) => r.forgone.p95 - mid[j]),
        arrayminus: mine.map((r, j) => mid[j] - r.forgone.p5),
      },
    });
    lay[`xaxis${n}`] = {
      title: { text: unit },
      anchor: `y${n}`,
      rangemode: "tozero",
      gridcolor: "#eee",
      ...(unit === "USD" ? { tickprefix: "$", exponentformat: "B" } : {}),
    };
    lay[`yaxis${n}`] = { anchor: `x${n}`, domain: [Math.max(0, top - h), top], automargin: true, autorange: "reversed" };
    top -= h + HOME_GAP_PX / plotPx;
  });
  Plotly.react($("chart-home"), traces, lay, CONFIG);
}

// ---------------------------------------------------------------- parameters

function badge(p) {
  if (p.fitted) return el("span", { className: "badge fitted", text: "fitted" });
  if (p.assumption) return el("span", { className: "badge", text: "assumption" });
  return el("span", { className: "badge world", text: "sourced" });
}

// A value as run; a schedule as a schedule: "41,500 from 2025-06-01, 60,000 from 2025-09-01"
// (a date on or before the start replaces the first value), as the report shows it.
function fmtParamValue(p, start) {
  if (!p) return "";
  if (!p.schedule) return fmtNumber(p.value);
  const steps = [[start, p.value]];
  for (const [d, x] of Object.entries(p.schedule).sort()) {
    if (start && d <= start) steps[0] = [start, x];
    else steps.push([d, x]);
  }
  return steps.map(([d, x]) => (d ? `${fmtNumber(x)} from ${d}` : `${fmtNumber(x)} at first`)).join(", ");
}

function renderParameters() {
  const runs = shown();
  const lists = runs.length ? runs.map(([tag, run]) => [tag, run.summary.parameters]) : [["", state.scenario.parameters]];
  const byPath = lists.map(([tag, list]) => [tag, new Map(list.map((p) => [p.path, p]))]);
  const base = lists[0][1];
  const start = runs.length ? runs[0][1].summary.scenario.start_date : state.scenario.start_date;
  const filter = $("param-filter").value;
  const head = el("tr", {}, el("th", { text: "Parameter" }));
  for (const [tag] of lists) head.append(el("th", { text: tag ? `Value in ${tag}` : "Value" }));
  head.append(el("th", { text: "Unit" }), el("th", { text: "Range" }), el("th", { text: "Kind" }), el("th", { text: "Source or rationale" }));
  const rows = [head];
  let nAssume = 0;
  let nChanged = 0;
  for (const p of base) {
    const values = byPath.map(([, m]) => m.get(p.path));
    const changed =
      runs.some(([, run]) => p.path in (run.summary.overrides || {})) ||
      new Set(values.map((q) => fmtParamValue(q, start))).size > 1;
    nAssume += p.assumption ? 1 : 0;
    nChanged += changed ? 1 : 0;
    if (filter === "assumption" && !p.assumption) continue;
    if (filter === "fitted" && !p.fitted) continue;
    if (filter === "changed" && !changed) continue;
    const prov = el("td", {}, p.source || "");
    if (p.rationale) prov.append(p.source ? el("br") : "", el("i", { text: p.rationale }));
    if (p.fitted) prov.append(el("br"), el("small", { text: `fitted on ${p.fitted.fitted_on.join(", ")}` }));
    const kind = el("td", {}, badge(p));
    if (changed) kind.append(" ", el("span", { className: "badge changed", text: "changed" }));
    const tr = el("tr", { "data-path": p.path }, el("td", {}, pathCode(p.path)));
    for (const q of values) tr.append(el("td", { className: "num", text: fmtParamValue(q, start) }));
    tr.append(
      el("td", { text: p.unit }),
      el("td", { className: "num", text: p.range ? `${fmtNumber(p.range[0])} – ${fmtNumber(p.range[1])}` : "" }),
      kind,
      prov,
    );
    rows.push(tr);
  }
  $("param-table").replaceChildren(...rows);
  const what = runs.length ? `Parameters of ${runs.map(([t]) => `run ${t}`).join(" and ")}` : `Parameters of ${state.scenario.name}`;
  $("param-meta").textContent =
    `${what}: ${base.length} in all, ${nAssume} labelled assumptions (with a range and a rationale), ` +
    `${nChanged} changed by the levers or differing between the runs.`;
}

// ---------------------------------------------------------------- start

async function init() {
  try {
    state.meta = await api("/api/meta");
    state.scenarios = await api("/api/scenarios");
    const select = $("scenario");
    for (const s of state.scenarios) select.append(el("option", { value: s.id, text: s.name }));
    const preferred = state.scenarios.find((s) => s.id === "operation-at-large") || state.scenarios[0];
    if (!preferred) {
      showError("This server has no scenarios.");
      return;
    }
    select.value = preferred.id;
    await pickScenario(preferred.id);
    select.addEventListener("change", () => pickScenario(select.value).catch((e) => showError(e.message)));
    $("run-form").addEventListener("submit", startRun);
    $("reset-button").addEventListener("click", resetLevers);
    $("param-filter").addEventListener("change", renderParameters);
    $("clear-b").addEventListener("click", async () => {
      state.b = null;
      renderRuns();
      await renderResults();
    });
    // Runs this page started that the server still holds (a reload keeps them); the
    // server's other runs belong to other clients and are never shown or paired here.
    const names = new Map(state.scenarios.map((s) => [s.id, s.name]));
    const mine = new Set(myRunIds());
    for (const st of await api("/api/runs")) {
      if (!mine.has(st.job_id)) continue;
      state.runs.set(st.job_id, {
        id: st.job_id,
        status: st,
        request: st.request,
        label: describeOverrides(st.request.overrides),
        scenarioName: names.get(st.scenario) || st.scenario,
      });
    }
    // Show the last two finished runs again, as A and B.
    const finished = [...state.runs.values()].filter((r) => r.status.status === "done");
    if (finished.length) {
      state.a = finished.at(finished.length > 1 ? -2 : -1).id;
      state.b = finished.length > 1 ? finished.at(-1).id : null;
    }
    renderRuns();
    await renderResults();
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err.message);
  }
}

init();
