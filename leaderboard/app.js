// The leaderboard page: lays out data/leaderboard.json (table, claims) and one
// data/population-<i>.json at a time (figures). Every statistic, verdict and fit
// is computed by the analysis package when the site is built; this script only draws.
"use strict";

const FILTERS = ["population", "benchmark", "family", "condition"];
const PLOT_CONFIG = { responsive: true, displaylogo: false };
const leaderboard = { board: null, table: null, populations: {}, drawing: null, ready: false };
window.leaderboard = leaderboard;

function number(value, digits = 2) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function pValue(value) {
  if (value === null || value === undefined) return "–";
  return value < 0.001 ? value.toExponential(1) : value.toFixed(3);
}

function parameters(count) {
  for (const [divisor, suffix] of [[1e9, "B"], [1e6, "M"], [1e3, "k"]]) {
    if (count >= divisor) return `${(count / divisor).toPrecision(3)}${suffix}`;
  }
  return String(count);
}

function withInterval(field) {
  return (cell) => {
    const row = cell.getRow().getData();
    if (row[field] === null) return "–";
    return `${number(row[field])} <span class="note">[${number(row[field + "_ci_low"])}, ${number(row[field + "_ci_high"])}]</span>`;
  };
}

function link(textField, urlField) {
  return (cell) => {
    const row = cell.getRow().getData();
    const text = row[textField] ?? "";
    if (!row[urlField]) return text;
    const anchor = document.createElement("a");
    anchor.href = row[urlField];
    anchor.target = "_blank";
    anchor.rel = "noopener";
    anchor.textContent = text || "results dataset";
    return anchor;
  };
}

function seedsNeeded(cell) {
  const row = cell.getRow().getData();
  if (row.seeds_for_bimodality === null && row.seeds_for_p_success === null) return "–";
  return `bimodality ${row.seeds_for_bimodality ?? "–"} · P(success) ${row.seeds_for_p_success ?? "–"}`;
}

function columns(board) {
  const rule = board.verdict_rule || "";
  const num = (title, field, formatter, extra = {}) =>
    ({ title, field, sorter: "number", hozAlign: "right", formatter, ...extra });
  return [
    { title: "Population", field: "population", sorter: "string", frozen: true },
    { title: "Benchmark", field: "benchmark", sorter: "string" },
    { title: "Family", field: "family", sorter: "string" },
    { title: "Scale", field: "scale", sorter: "alphanum" },
    num("Parameters", "num_parameters", (c) => parameters(c.getValue())),
    { title: "Condition", field: "condition", sorter: "alphanum" },
    num("Seeds", "seeds"),
    num("P(success)", "p_success", withInterval("p_success"), { headerTooltip: "fraction of seeds above the success line, 95% bootstrap interval" }),
    num("P(fail)", "p_fail", withInterval("p_fail"), { headerTooltip: "fraction of seeds below the failure line, 95% bootstrap interval" }),
    num("Successful mean", "successful_mean", withInterval("successful_mean"), { headerTooltip: "mean score of the successful seeds" }),
    num("Dip p", "dip_p", (c) => pValue(c.getValue()), { headerTooltip: "Hartigan's dip test p-value, corrected for the ties of k-of-n scores" }),
    num("Dip p (raw)", "dip_p_raw", (c) => pValue(c.getValue()), { headerTooltip: "Hartigan's dip test p-value on the scores as they are (the paper's test)" }),
    num("Mixture LRT p", "mixture_lrt_p", (c) => pValue(c.getValue()), { headerTooltip: "likelihood-ratio test of two modes against one" }),
    num("Mixture w", "mixture_success_weight", (c) => number(c.getValue()), { headerTooltip: "weight of the success mode of the two-component mixture" }),
    num("Mixture mean", "mixture_success_mean", (c) => number(c.getValue()), { headerTooltip: "mean of the success mode of the two-component mixture" }),
    num("W to next", "wasserstein_to_next", (c) => number(c.getValue(), 3), { headerTooltip: "Wasserstein-1 distance to the next larger scale" }),
    { title: "Verdict", field: "verdict", sorter: "string", headerTooltip: rule,
      formatter: (c) => (c.getValue() === "bimodal" ? `<span class="verdict-bimodal">bimodal</span>` : c.getValue() ?? "–") },
    num("Seeds needed", "seeds_for_bimodality", seedsNeeded, { hozAlign: "left", headerTooltip: "planner: seeds to detect bimodality · to estimate P(success)" }),
    { title: "Models", field: "model", sorter: "string", formatter: link("model", "model_url"), maxWidth: 260, tooltip: true },
    { title: "Results", field: "dataset_url", sorter: "string", formatter: link("dataset_text", "dataset_url") },
  ];
}

function fillSelect(select, values, all = true) {
  select.replaceChildren();
  if (all) select.append(new Option("all", ""));
  for (const value of values) select.append(new Option(value, value));
}

function unique(rows, field) {
  const values = [...new Set(rows.map((r) => r[field]))];
  return values.sort((a, b) => String(a).localeCompare(String(b), undefined, { numeric: true }));
}

function applyFilters() {
  const filters = FILTERS.map((field) => ({ field, type: "=", value: document.getElementById(`filter-${field}`).value }))
    .filter((f) => f.value !== "");
  leaderboard.table.setFilter(filters);
}

function showRowCount() {
  const count = leaderboard.table.getDataCount("active");
  document.getElementById("row-count").textContent = `${count} row${count === 1 ? "" : "s"}`;
}

function buildTable(board) {
  for (const field of FILTERS) {
    const select = document.getElementById(`filter-${field}`);
    fillSelect(select, unique(board.rows, field));
    select.addEventListener("change", applyFilters);
  }
  document.getElementById("verdict-rule").textContent = board.verdict_rule ? `Verdict rule: ${board.verdict_rule}` : "";
  return new Promise((resolve) => {
    const table = new Tabulator("#table", {
      data: board.rows,
      columns: columns(board),
      layout: "fitData",
      maxHeight: "480px",
      columnHeaderVertAlign: "bottom",
    });
    leaderboard.table = table;
    table.on("dataFiltered", () => setTimeout(showRowCount, 0));
    table.on("tableBuilt", () => { performance.mark("table built"); showRowCount(); resolve(table); });
  });
}

function renderClaims(claims) {
  const holder = document.getElementById("claims");
  if (!claims.length) {
    holder.innerHTML = `<p class="note">The analysis checked no finding for these results.</p>`;
    return;
  }
  const table = document.createElement("table");
  table.className = "claims";
  table.innerHTML = "<thead><tr><th>Population</th><th>Benchmark</th><th>Finding</th><th>Statement</th><th>Status</th><th>Reason</th></tr></thead>";
  const body = table.createTBody();
  for (const claim of claims) {
    const row = body.insertRow();
    for (const text of [claim.population, claim.benchmark, claim.finding ?? "", claim.statement]) row.insertCell().textContent = text;
    const badge = document.createElement("span");
    badge.className = `badge ${claim.status.replaceAll("_", "-")}`;
    badge.textContent = claim.status.replaceAll("_", " ");
    badge.title = claim.statistic ? `${claim.statistic}; ${claim.correction}, alpha ${claim.alpha}` : "";
    row.insertCell().append(badge);
    row.insertCell().textContent = claim.reason;
  }
  holder.replaceChildren(table);
}

async function loadJSON(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// ---- figures -------------------------------------------------------------

function grid(count, maxColumns = 5) {
  const columns = Math.min(count, maxColumns);
  return { rows: Math.ceil(count / columns), columns };
}

function axisName(prefix, index) {
  return index === 0 ? prefix : `${prefix}${index + 1}`;
}

function scaleLabel(scale) {
  return `${scale.scale} (${parameters(scale.num_parameters)})`;
}

function figureDiv(holder, name, caption) {
  const div = document.createElement("div");
  div.className = "figure";
  div.dataset.figure = name;
  const text = document.createElement("p");
  text.className = "caption";
  text.textContent = caption;
  holder.append(div, text);
  return div;
}

// By default the violins show `violin_conditions` (the static figures' choice, e.g. the paper's
// test lengths 30, 40, ..., 100 of 71), which stays readable and fast; a checkbox shows them all.
function violins(div, section, scaleIndex, allConditions) {
  const shown = allConditions ? section.conditions : section.violin_conditions;
  const columns = shown.map((c) => section.conditions.indexOf(c));
  const traces = section.scales.map((scale, s) => ({
    type: "violin",
    name: scaleLabel(scale),
    x: columns.flatMap((i) => section.values[s][i].map(() => section.conditions[i])),
    y: columns.flatMap((i) => section.values[s][i]),
    visible: s === scaleIndex,
    points: false,
    meanline: { visible: true },
    spanmode: "hard",
    scalemode: "width",
    width: 0.85,
  }));
  const layout = {
    title: { text: `${section.family}: ${section.metric} over seeds, per condition, at ${scaleLabel(section.scales[scaleIndex])}`
      + (shown.length < section.conditions.length ? ` (${shown.length} of ${section.conditions.length} conditions)` : "") },
    xaxis: { title: { text: "condition" }, type: "category", automargin: true },
    yaxis: { title: { text: `${section.metric} (fraction)` }, range: [-0.05, 1.05] },
    showlegend: false, height: 380, margin: { t: 50, b: 60 },
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function tableRows(section, population) {
  return leaderboard.board.rows.filter((r) => r.population === population && r.benchmark === section.benchmark
    && r.family === section.family);
}

function fractions(div, section, population, condition) {
  const rows = tableRows(section, population).filter((r) => r.condition === condition)
    .sort((a, b) => a.scale_index - b.scale_index);
  const fit = section.fits[condition];
  const logAxis = !fit || fit.x_variable === "log_parameters";
  const x = rows.map((r) => (logAxis ? r.num_parameters : r.scale_index));
  const interval = (field) => ({
    type: "data", symmetric: false,
    array: rows.map((r) => (r[field] === null ? null : r[field + "_ci_high"] - r[field])),
    arrayminus: rows.map((r) => (r[field] === null ? null : r[field] - r[field + "_ci_low"])),
  });
  const traces = [
    { name: "P(success)", x, y: rows.map((r) => r.p_success), error_y: interval("p_success"), mode: "lines+markers", line: { color: "#1f77b4" } },
    { name: "P(fail)", x, y: rows.map((r) => r.p_fail), error_y: interval("p_fail"), mode: "lines+markers", line: { color: "#d62728" } },
  ];
  const notes = [];
  if (fit) {
    const lo = Math.min(...rows.map((r) => (logAxis ? Math.log(r.num_parameters) : r.scale_index)));
    const hi = Math.max(...rows.map((r) => (logAxis ? Math.log(r.num_parameters) : r.scale_index)));
    const along = Array.from({ length: 60 }, (_, i) => lo + ((hi - lo) * i) / 59);
    traces.push({
      name: `logistic fit (slope ${number(fit.slope)} [${number(fit.slope_ci_low)}, ${number(fit.slope_ci_high)}])`,
      x: along.map((v) => (logAxis ? Math.exp(v) : v)),
      y: along.map((v) => 1 / (1 + Math.exp(-(fit.intercept + fit.slope * v)))),
      mode: "lines", line: { color: "#1f77b4", dash: "dash" },
    });
    if (fit.crossing_x === null && fit.crossing_direction) {
      notes.push(`P(success) = 0.5 is not reached in the measured range: the fit stays ${fit.crossing_direction} 0.5`);
    }
    if (fit.crossing_x !== null) {
      const at = (v) => (logAxis ? Math.exp(v) : v);
      traces.push({
        name: `P(success) = 0.5 at ${logAxis ? "N = " + parameters(at(fit.crossing_x)) : "scale " + number(fit.crossing_x)}${fit.crossing_in_range ? "" : " (extrapolated)"}`,
        x: [at(fit.crossing_x)], y: [0.5], mode: "markers", marker: { symbol: "diamond", size: 11, color: "#111" },
        error_x: fit.crossing_x_ci_low === null ? undefined : {
          type: "data", symmetric: false,
          array: [at(fit.crossing_x_ci_high) - at(fit.crossing_x)], arrayminus: [at(fit.crossing_x) - at(fit.crossing_x_ci_low)],
        },
      });
    }
  }
  traces.push({
    name: "successful mean", x, y: rows.map((r) => r.successful_mean), error_y: interval("successful_mean"),
    mode: "lines+markers", line: { color: "#2ca02c" }, xaxis: "x2", yaxis: "y2",
  });
  const xaxis = { title: { text: logAxis ? "parameters N" : "scale index" }, type: logAxis ? "log" : "linear" };
  const layout = {
    title: { text: `${section.family} at ${condition}: failed / successful seeds and the successful mean against scale` },
    grid: { rows: 1, columns: 2, pattern: "independent" },
    xaxis, xaxis2: { ...xaxis },
    yaxis: { title: { text: "fraction of seeds" }, range: [-0.03, 1.03] },
    yaxis2: { title: { text: `mean ${section.metric} of successful seeds` }, range: [-0.03, 1.03] },
    legend: { orientation: "h", y: -0.25 }, height: 420, margin: { t: 50 },
    annotations: notes.map((text) => ({ text, xref: "x domain", yref: "y domain", x: 0.02, y: 0.98, showarrow: false, align: "left", xanchor: "left" })),
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

// With fewer than 4 scales B = L for every seed (the analysis flags it), so one panel shows the one ranking.
function topSeeds(div, section) {
  const top = section.top_seeds;
  const names = section.scales.map((s) => s.scale);
  const rankings = top.rankings_identical ? ["B"] : ["B", "L"];
  const traces = [];
  rankings.forEach((symbol, panel) => {
    for (const entry of top[symbol]) {
      traces.push({
        name: `seed ${entry.seed} (${symbol} = ${entry.score})`, x: names, y: entry.curve,
        mode: "lines+markers", xaxis: axisName("x", panel), yaxis: axisName("y", panel),
        legendgroup: symbol,
      });
    }
  });
  const title = top.rankings_identical
    ? `by breakthroughness B (= linearity L with ${names.length} scales; they differ from 4 scales on)`
    : "by breakthroughness B (left) and linearity L (right)";
  const layout = {
    title: { text: `${section.family}: top ${top.B.length} fixed-seed curves ${title}, at ${top.condition}` },
    grid: { rows: 1, columns: rankings.length, pattern: "independent" },
    xaxis: { title: { text: "scale" }, type: "category" }, xaxis2: { title: { text: "scale" }, type: "category" },
    yaxis: { title: { text: section.metric }, range: [-0.03, 1.03] }, yaxis2: { range: [-0.03, 1.03] },
    height: 400, margin: { t: 50 }, legend: { orientation: "h", y: -0.25 },
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function histograms(div, section, condition) {
  const c = section.conditions.indexOf(condition);
  const { rows, columns } = grid(section.scales.length);
  const traces = section.scales.map((scale, s) => ({
    type: "histogram", name: scaleLabel(scale), x: section.values[s][c],
    xbins: { start: 0, end: 1.0001, size: 0.05 }, marker: { color: "#1f77b4" },
    xaxis: axisName("x", s), yaxis: axisName("y", s),
  }));
  const layout = {
    title: { text: `${section.family} at ${condition}: histograms of ${section.metric} over seeds, per scale` },
    grid: { rows, columns, pattern: "independent" }, showlegend: false,
    annotations: section.scales.map((scale, s) => ({
      text: scaleLabel(scale), showarrow: false, font: { size: 12 },
      xref: `${axisName("x", s)} domain`, yref: `${axisName("y", s)} domain`, x: 0.5, y: 1.12,
    })),
    height: 230 * rows + 80, margin: { t: 70 },
  };
  section.scales.forEach((_, s) => { layout[axisName("xaxis", s)] = { range: [0, 1] }; });
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function nllScatter(div, section, condition) {
  const c = section.conditions.indexOf(condition);
  const traces = section.scales.map((scale, s) => ({
    type: "scatter", mode: "markers", name: scaleLabel(scale),
    x: section.nll[s][c], y: section.values[s][c], marker: { size: 8, opacity: 0.75 },
  }));
  const layout = {
    title: { text: `${section.family} at ${condition}: each seed's ${section.metric} against its NLL of the correct answer` },
    xaxis: { title: { text: "NLL of the correct choice (nats)" } },
    yaxis: { title: { text: section.metric }, range: [-0.03, 1.03] },
    height: 400, margin: { t: 50 },
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function controls(holder, label, values, selected, onChange) {
  const wrap = document.createElement("label");
  wrap.textContent = label;
  const select = document.createElement("select");
  values.forEach(([text, value]) => select.append(new Option(text, value)));
  select.value = selected;
  select.addEventListener("change", () => onChange(select.value));
  wrap.append(select);
  holder.append(wrap);
  return select;
}

function checkbox(holder, label, checked, onChange) {
  const wrap = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = checked;
  box.addEventListener("change", onChange);
  wrap.append(box, ` ${label}`);
  holder.append(wrap);
  return box;
}

function drawSection(holder, section, population) {
  const heading = document.createElement("h3");
  heading.textContent = `${population} · ${section.benchmark} · ${section.family}`;
  const bar = document.createElement("div");
  bar.className = "figure-controls";
  const figures = document.createElement("div");
  figures.className = "figure-grid";
  holder.append(heading, bar, figures);

  const largest = section.scales.length - 1;
  const violinDiv = figureDiv(figures, "violins", "Seed distributions across conditions at one scale (paper Figure 2); pick the scale above.");
  const fractionDiv = figureDiv(figures, "fractions", "P(success) and P(fail) with 95% bootstrap intervals, the logistic fit of P(success) with its 0.5 crossing, and the successful mean (paper Figure 3).");
  const topDiv = section.top_seeds ? figureDiv(figures, "top_seeds", "The 5 seeds with the largest breakthroughness B and linearity L, as fixed-seed scaling curves (paper Figure 1).") : null;
  const histogramDiv = figureDiv(figures, "histograms", "Histograms of the seed distribution per scale (paper Figures 4-6).");
  const scatterDiv = section.nll ? figureDiv(figures, "nll_scatter", "Each seed's accuracy against its NLL: NLL shows clusters that accuracy hides.") : null;

  const drawCondition = (condition) => Promise.all([
    fractions(fractionDiv, section, population, condition),
    histograms(histogramDiv, section, condition),
    scatterDiv ? nllScatter(scatterDiv, section, condition) : null,
  ]);
  controls(bar, "Condition ", section.conditions.map((c) => [c, c]), section.reference_condition, drawCondition);
  const violinScale = controls(bar, "Violins at scale ", section.scales.map((s, i) => [scaleLabel(s), i]), largest,
    () => violins(violinDiv, section, Number(violinScale.value), allConditions.checked));
  const allConditions = section.violin_conditions.length < section.conditions.length
    ? checkbox(bar, `all ${section.conditions.length} conditions in the violins`, false,
      () => violins(violinDiv, section, Number(violinScale.value), allConditions.checked))
    : { checked: true };
  return Promise.all([
    violins(violinDiv, section, largest, allConditions.checked),
    drawCondition(section.reference_condition),
    topDiv ? topSeeds(topDiv, section) : null,
  ]);
}

async function showPopulation(index) {
  const entry = leaderboard.board.populations[index];
  const data = leaderboard.populations[entry.file] ?? (leaderboard.populations[entry.file] = await loadJSON(`data/${entry.file}`));
  const holder = document.getElementById("figures");
  holder.querySelectorAll(".figure").forEach((div) => Plotly.purge(div));
  holder.replaceChildren();
  await Promise.all(data.sections.map((section) => drawSection(holder, section, data.population)));
  performance.mark("figures drawn");
}

async function main() {
  const status = document.getElementById("status");
  if (location.protocol === "file:") {
    status.className = "error";
    status.textContent = "Browsers do not let a page read its data files from file://. Serve this folder: "
      + "python -m http.server --directory THIS_FOLDER, then open http://127.0.0.1:8000";
    return;
  }
  try {
    const board = await loadJSON("data/leaderboard.json");
    performance.mark("data loaded");
    leaderboard.board = board;
    board.rows.forEach((row) => { row.dataset_text = row.dataset_url ? row.dataset_url.replace("https://huggingface.co/datasets/", "") : ""; });
    renderClaims(board.claims);
    const select = document.getElementById("figure-population");
    board.populations.forEach((p, i) => select.append(new Option(p.population, i)));
    select.addEventListener("change", () => { leaderboard.drawing = showPopulation(Number(select.value)); });
    leaderboard.drawing = showPopulation(0);
    await Promise.all([buildTable(board), leaderboard.drawing]);
    const populations = board.populations.length;
    status.textContent = `${board.rows.length} rows from ${populations} population${populations === 1 ? "" : "s"}.`;
    leaderboard.ready = true;
    document.body.dataset.ready = "true";
  } catch (error) {
    status.className = "error";
    status.textContent = `Could not load the leaderboard: ${error.message}`;
    throw error;
  }
}

main();
