// The leaderboard page: lays out data/leaderboard.json (table, claims) and one
// data/population-<i>.json at a time (figures). Every statistic, verdict and fit
// is computed by the analysis package when the site is built; this script only draws.
"use strict";

const FILTERS = ["population", "benchmark", "family", "condition"];
const PLOT_CONFIG = { responsive: true, displaylogo: false };
const leaderboard = { board: null, table: null, populations: {}, drawing: null, ready: false };
window.leaderboard = leaderboard;

const VERDICTS = ["bimodal", "unimodal", "all fail", "all succeed", "too few seeds"];
const NOT_PLANNED = "not planned: the site was built without the seed planner (--no-plan)";

// Every number on the page arrives as text, formatted by the analysis as summary.md is
// (hf_distscale.analysis.display); the page never rounds.
function textCell(field) {
  return (cell) => cell.getRow().getData().text[field];
}

function span(text, className = "", title = "") {
  const element = document.createElement("span");
  element.textContent = text;
  if (className) element.className = className;
  if (title) element.title = title;
  return element;
}

// "0.62 [0.40, 0.80]": the value, then its interval in a quieter style.
function withInterval(field) {
  return (cell) => {
    const [value, ...interval] = cell.getRow().getData().text[field].split(" ");
    const holder = span(value);
    if (interval.length) holder.append(" ", span(interval.join(" "), "note"));
    return holder;
  };
}

function anchor(text, url) {
  const element = document.createElement("a");
  element.href = url;
  element.target = "_blank";
  element.rel = "noopener";
  element.textContent = text;
  return element;
}

function link(textField, urlField) {
  return (cell) => {
    const row = cell.getRow().getData();
    const text = row[textField] ?? "";
    return row[urlField] ? anchor(text || "results dataset", row[urlField]) : text;
  };
}

// The scale with its parameter count, linked to the seeds' folder on the Hub where they have one.
function scaleCell(cell) {
  const row = cell.getRow().getData();
  const text = `${row.scale} (${row.text.num_parameters})`;
  return row.model_url ? anchor(text, row.model_url) : span(text, "", row.model);
}

function verdictClass(verdict) {
  return `verdict verdict-${verdict.replaceAll(" ", "-")}`;
}

function verdictCell(rule) {
  return (cell) => (cell.getValue() ? span(cell.getValue(), verdictClass(cell.getValue()), rule) : "-");
}

function seedsNeededCell(rule) {
  return (cell) => span(cell.getRow().getData().text.seeds_needed, "", rule);
}

// The first screen: scale, condition (both frozen), seeds, P(success), P(fail), verdict, seeds needed;
// the columns marked `optional` start hidden and are one click away in the column chooser.
function columns(board) {
  const verdictRule = board.verdict_rule || "";
  const seedsRule = board.seeds_needed_rule || NOT_PLANNED;
  const num = (title, field, formatter, extra = {}) =>
    ({ title, field, sorter: "number", hozAlign: "right", formatter, ...extra });
  const optional = (column) => ({ ...column, visible: false, optional: true });
  return [
    { title: "Scale", field: "scale_index", sorter: "number", frozen: true, formatter: scaleCell,
      headerTooltip: "the scale with its parameter count; links to the seeds' model folder on the Hub" },
    { title: "Condition", field: "condition", sorter: "alphanum", frozen: true },
    num("Seeds", "seeds"),
    num("P(success)", "p_success", withInterval("p_success"), { headerTooltip: "fraction of seeds above the success line, exact 95% interval (Clopper-Pearson)" }),
    num("P(fail)", "p_fail", withInterval("p_fail"), { headerTooltip: "fraction of seeds below the failure line, exact 95% interval (Clopper-Pearson)" }),
    { title: "Verdict", field: "verdict", sorter: "string", headerTooltip: verdictRule, formatter: verdictCell(verdictRule) },
    { title: "Seeds needed", field: "seeds_for_p_success", sorter: "number", headerTooltip: seedsRule, formatter: seedsNeededCell(seedsRule) },
    optional({ title: "Population", field: "population", sorter: "string" }),
    optional({ title: "Benchmark", field: "benchmark", sorter: "string" }),
    optional({ title: "Family", field: "family", sorter: "string" }),
    optional(num("Successful mean", "successful_mean", withInterval("successful_mean"), { headerTooltip: "mean score of the successful seeds, 95% bootstrap interval" })),
    optional(num("Dip p", "dip_p", textCell("dip_p"), { headerTooltip: "Hartigan's dip test p-value, corrected for the ties of k-of-n scores" })),
    optional(num("Dip p (raw)", "dip_p_raw", textCell("dip_p_raw"), { headerTooltip: "Hartigan's dip test p-value on the scores as they are (the paper's test)" })),
    optional(num("Mixture LRT p", "mixture_lrt_p", textCell("mixture_lrt_p"), { headerTooltip: "likelihood-ratio test of two modes against one" })),
    optional(num("Mixture w", "mixture_success_weight", textCell("mixture_success_weight"), { headerTooltip: "weight of the success mode of the two-component mixture" })),
    optional(num("Mixture mean", "mixture_success_mean", textCell("mixture_success_mean"), { headerTooltip: "mean of the success mode of the two-component mixture" })),
    optional(num("W to next", "wasserstein_to_next", textCell("wasserstein_to_next"), { headerTooltip: "Wasserstein-1 distance to the next larger scale" })),
    optional(num("Seed share", "seed_share", textCell("seed_share"), { headerTooltip: "share of the variance of the population mean that comes from the seeds (the rest: the test items and their interaction); from the items table, '-' without one" })),
    optional({ title: "Models", field: "model", sorter: "string", formatter: link("model", "model_url"), maxWidth: 260, tooltip: true }),
    optional({ title: "Results", field: "dataset_url", sorter: "string", formatter: link("dataset_text", "dataset_url") }),
  ];
}

function columnChooser(table) {
  const holder = document.getElementById("column-chooser-options");
  for (const column of table.getColumns().filter((c) => c.getDefinition().optional)) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = column.getField();
    box.checked = column.isVisible();
    box.addEventListener("change", () => (box.checked ? column.show() : column.hide()));
    const label = document.createElement("label");
    label.append(box, ` ${column.getDefinition().title}`);
    holder.append(label);
  }
}

function verdictLegend(rule) {
  const holder = document.getElementById("verdict-legend");
  holder.replaceChildren("Verdict: ", ...VERDICTS.flatMap((verdict) => [span(verdict, verdictClass(verdict), rule), " "]));
}

function groupName(row) {
  return `${row.population} · ${row.benchmark} · ${row.family}`;
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
  document.getElementById("seeds-needed-rule").textContent = board.seeds_needed_rule || `Seeds needed: ${NOT_PLANNED}.`;
  verdictLegend(board.verdict_rule || "");
  return new Promise((resolve) => {
    // No height: the table grows with its rows, so none is ever hidden behind a scroll box.
    const table = new Tabulator("#table", {
      data: board.rows,
      columns: columns(board),
      layout: "fitData",
      groupBy: groupName,
      groupToggleElement: false,
      groupHeader: (name, count) => `${name} <span class="note">(${count} row${count === 1 ? "" : "s"})</span>`,
      columnHeaderVertAlign: "bottom",
    });
    leaderboard.table = table;
    table.on("dataFiltered", () => setTimeout(showRowCount, 0));
    table.on("tableBuilt", () => {
      performance.mark("table built");
      columnChooser(table);
      showRowCount();
      resolve(table);
    });
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
// Each figure is drawn from a section and the section's `view` (condition, violin scale, all conditions);
// a select changes the view and redraws the figures it names (its data-figures).

function grid(count, maxColumns = 5) {
  const columns = Math.min(count, maxColumns);
  return { rows: Math.ceil(count / columns), columns };
}

function axisName(prefix, index) {
  return index === 0 ? prefix : `${prefix}${index + 1}`;
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
// test lengths 30, 40, ..., 100 of 71) and the selected condition, which stays readable and fast;
// a checkbox shows them all. The selected condition is shaded.
function violins(div, section, view) {
  const chosen = new Set([...section.violin_conditions, view.condition]);
  const shown = view.allConditions ? section.conditions : section.conditions.filter((c) => chosen.has(c));
  const columns = shown.map((c) => section.conditions.indexOf(c));
  const traces = section.scales.map((scale, s) => ({
    type: "violin",
    name: scale.label,
    x: columns.flatMap((i) => section.values[s][i].map(() => section.conditions[i])),
    y: columns.flatMap((i) => section.values[s][i]),
    visible: s === view.scaleIndex,
    points: false,
    meanline: { visible: true },
    spanmode: "hard",
    scalemode: "width",
    width: 0.85,
  }));
  const marked = shown.indexOf(view.condition);
  const layout = {
    title: { text: `${section.family}: ${section.metric} over seeds, per condition, at ${section.scales[view.scaleIndex].label}`
      + (shown.length < section.conditions.length ? ` (${shown.length} of ${section.conditions.length} conditions)` : "")
      + `; ${view.condition} shaded` },
    xaxis: { title: { text: "condition" }, type: "category", categoryorder: "array", categoryarray: shown, automargin: true },
    yaxis: { title: { text: `${section.metric} (fraction)` }, range: [-0.05, 1.05] },
    shapes: [{ type: "rect", xref: "x", yref: "paper", x0: marked - 0.5, x1: marked + 0.5, y0: 0, y1: 1,
      fillcolor: "rgba(255, 196, 0, 0.2)", line: { width: 0 }, layer: "below" }],
    showlegend: false, height: 380, margin: { t: 50, b: 60 },
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function tableRows(section, population) {
  return leaderboard.board.rows.filter((r) => r.population === population && r.benchmark === section.benchmark
    && r.family === section.family);
}

// The x axis spans the measured scales (a little padding so the end markers show whole), never a
// fitted extrapolation; on a log axis plotly's range is in log10 units.
function measuredRange(x, logAxis) {
  const ends = [Math.min(...x), Math.max(...x)].map((v) => (logAxis ? Math.log10(v) : v));
  const pad = (ends[1] - ends[0]) * 0.04 || 0.1;
  return [ends[0] - pad, ends[1] + pad];
}

function fractions(div, section, population, view) {
  const condition = view.condition;
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
    if (fit.slope === null) {
      notes.push(`logistic slope ${fit.slope_text}: no fit is drawn`);
    } else {
      traces.push({
        name: `logistic fit (slope ${fit.slope_text})`,
        x: along.map((v) => (logAxis ? Math.exp(v) : v)),
        y: along.map((v) => 1 / (1 + Math.exp(-(fit.intercept + fit.slope * v)))),
        mode: "lines", line: { color: "#1f77b4", dash: "dash" },
      });
    }
    if (fit.crossing_x === null && fit.crossing_direction) {
      notes.push(`P(success) = 0.5 is not reached in the measured range: the fit stays ${fit.crossing_direction} 0.5`);
    }
    if (fit.crossing_x !== null) {
      const at = (v) => (logAxis ? Math.exp(v) : v);
      traces.push({
        name: `P(success) = 0.5 at ${fit.crossing_text}`,
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
  const xaxis = { title: { text: logAxis ? "parameters N" : "scale index" }, type: logAxis ? "log" : "linear",
    range: measuredRange(x, logAxis) };
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

// The top seeds ranked at the selected condition. With fewer than 4 scales B = L for every seed
// (the analysis flags it), so one panel shows the one ranking.
function topSeeds(div, section, view) {
  const top = section.top_seeds_by_condition[view.condition];
  const names = section.scales.map((s) => s.scale);
  if (!top) {
    const title = `${section.family}: no fixed-seed curves at ${view.condition} (fewer than 2 scales measured there)`;
    return Plotly.react(div, [], { title: { text: title }, height: 200 }, PLOT_CONFIG);
  }
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

// One condition's histograms share both axes across scales, so panels compare at a glance, and
// mark the benchmark's failure and success lines.
function histograms(div, section, view) {
  const c = section.conditions.indexOf(view.condition);
  const { rows, columns } = grid(section.scales.length);
  const binWidth = 0.05;
  const bins = (values) => values.reduce((counts, v) => {
    const b = Math.min(Math.floor(v / binWidth + 1e-9), Math.round(1 / binWidth) - 1);
    counts[b] = (counts[b] || 0) + 1;
    return counts;
  }, {});
  const highest = Math.max(1, ...section.scales.map((_, s) => Math.max(0, ...Object.values(bins(section.values[s][c])))));
  const traces = section.scales.map((scale, s) => ({
    type: "histogram", name: scale.label, x: section.values[s][c],
    xbins: { start: 0, end: 1.0001, size: binWidth }, marker: { color: "#1f77b4" },
    xaxis: axisName("x", s), yaxis: axisName("y", s),
  }));
  const lines = section.lines ? [["failure", section.lines.failure, "#d62728"], ["success", section.lines.success, "#2ca02c"]] : [];
  const layout = {
    title: { text: `${section.family} at ${view.condition}: histograms of ${section.metric} over seeds, per scale` },
    grid: { rows, columns, pattern: "independent" }, showlegend: false,
    annotations: section.scales.map((scale, s) => ({
      text: scale.label, showarrow: false, font: { size: 12 },
      xref: `${axisName("x", s)} domain`, yref: `${axisName("y", s)} domain`, x: 0.5, y: 1.12,
    })),
    shapes: section.scales.flatMap((_, s) => lines.map(([, x, color]) => ({
      type: "line", x0: x, x1: x, xref: axisName("x", s), y0: 0, y1: 1, yref: `${axisName("y", s)} domain`,
      line: { color, dash: "dash", width: 1 },
    }))),
    height: 230 * rows + 80, margin: { t: 70 },
  };
  section.scales.forEach((_, s) => {
    layout[axisName("xaxis", s)] = { range: [0, 1] };
    layout[axisName("yaxis", s)] = { range: [0, highest * 1.05], title: s % columns === 0 ? { text: "seeds" } : undefined };
  });
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

function nllScatter(div, section, view) {
  const c = section.conditions.indexOf(view.condition);
  const traces = section.scales.map((scale, s) => ({
    type: "scatter", mode: "markers", name: scale.label,
    x: section.nll[s][c], y: section.values[s][c], marker: { size: 8, opacity: 0.75 },
  }));
  const layout = {
    title: { text: `${section.family} at ${view.condition}: each seed's ${section.metric} against its NLL of the correct answer` },
    xaxis: { title: { text: "NLL of the correct choice (nats)" } },
    yaxis: { title: { text: section.metric }, range: [-0.03, 1.03] },
    height: 400, margin: { t: 50 },
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

// A select that changes the view and redraws the figures it names; leaderboard.drawing
// holds the redraw until it is done.
function control(holder, label, options, selected, figures, onChange) {
  const wrap = document.createElement("label");
  wrap.textContent = label;
  const select = document.createElement("select");
  options.forEach(([text, value]) => select.append(new Option(text, value)));
  select.value = selected;
  select.dataset.figures = figures.join(" ");
  select.addEventListener("change", () => { leaderboard.drawing = onChange(select.value); });
  wrap.append(select);
  holder.append(wrap);
  return select;
}

function checkbox(holder, label, onChange) {
  const wrap = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.addEventListener("change", () => { leaderboard.drawing = onChange(box.checked); });
  wrap.append(box, ` ${label}`);
  holder.append(wrap);
}

const FIGURES = [
  ["violins", "Seed distributions across conditions at one scale (paper Figure 2); pick the scale above.", () => true],
  ["fractions", "P(success) and P(fail) with exact 95% intervals, the logistic fit of P(success) with its 0.5 crossing, and the successful mean with its 95% bootstrap interval (paper Figure 3).", () => true],
  ["top_seeds", "The 5 seeds with the largest breakthroughness B and linearity L at the selected condition, as fixed-seed scaling curves (paper Figure 1).", (section) => Object.keys(section.top_seeds_by_condition).length > 0],
  ["histograms", "Histograms of the seed distribution per scale, on shared axes, with the failure (red) and success (green) lines (paper Figures 4-6).", () => true],
  ["nll_scatter", "Each seed's accuracy against its NLL: NLL shows clusters that accuracy hides.", (section) => !!section.nll],
];

function drawSection(holder, section, population) {
  const heading = document.createElement("h3");
  heading.textContent = `${population} · ${section.benchmark} · ${section.family}`;
  const bar = document.createElement("div");
  bar.className = "figure-controls";
  const figureGrid = document.createElement("div");
  figureGrid.className = "figure-grid";
  holder.append(heading, bar, figureGrid);

  const view = { condition: section.reference_condition, scaleIndex: section.scales.length - 1, allConditions: false };
  const painters = { violins, fractions: (div, s, v) => fractions(div, s, population, v), top_seeds: topSeeds, histograms, nll_scatter: nllScatter };
  const divs = Object.fromEntries(FIGURES.filter(([, , shown]) => shown(section))
    .map(([name, caption]) => [name, figureDiv(figureGrid, name, caption)]));
  const draw = (names) => Promise.all(names.map((name) => painters[name](divs[name], section, view)));
  const every = Object.keys(divs);

  control(bar, "Condition ", section.conditions.map((c) => [c, c]), view.condition, every,
    (value) => { view.condition = value; return draw(every); });
  control(bar, "Violins at scale ", section.scales.map((s, i) => [s.label, i]), view.scaleIndex, ["violins"],
    (value) => { view.scaleIndex = Number(value); return draw(["violins"]); });
  if (section.violin_conditions.length < section.conditions.length) {
    checkbox(bar, `all ${section.conditions.length} conditions in the violins`,
      (checked) => { view.allConditions = checked; return draw(["violins"]); });
  }
  return draw(every);
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
