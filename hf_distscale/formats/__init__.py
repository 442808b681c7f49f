"""The on-disk contracts between the pipeline's stages, one module each.

- `population`: a population folder (and its Hub repo): `population.json`,
  `<scale>/seed-XXXX/` model folders with `seed_record.json`, `seeds.parquet`,
  seed URIs (`hf://org/name/<scale>/seed-XXXX[@rev]`);
- `identity`: who a model is and which measurement a result row is, once;
- `results`: the results table, one row per (model, benchmark, condition),
  and its schema; `checks` checks every table read against its schema;
- `lm_eval`: lm-eval's own results and samples files, as `ingest` reads them;
- `analysis`: what `analyze` writes for later stages: `statistics.json`,
  `claims.json`, the figure index;
- `outputs`: how every verb writes: output paths checked before work, a lock
  per output, atomic files, folders swapped in whole with a manifest written last.

Every stage imports these modules and they import no stage, no torch and no
Hub client: a contract is readable without the code that wrote it. Each
written file carries a format version (`versions`); a reader given a version
it does not know says so in one line, and an older one is migrated by that
kind's chain of steps.
"""
