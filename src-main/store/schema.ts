// The project file's schema, one migration per `PRAGMA user_version` step. A migration runs in one
// transaction with the version bump, so a crash leaves either the old or the new schema.
// Never edit a released migration: append a new one.

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE entity_types (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    color       TEXT NOT NULL,
    hotkey      TEXT UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
  );

  CREATE TABLE titles (
    id         INTEGER PRIMARY KEY,
    text       TEXT NOT NULL,
    length     INTEGER NOT NULL,               -- code points
    split      TEXT NOT NULL DEFAULT 'none' CHECK (split IN ('train', 'dev', 'test', 'none')),
    status     TEXT NOT NULL DEFAULT 'unreviewed' CHECK (status IN ('unreviewed', 'reviewed')),
    source     TEXT NOT NULL DEFAULT '',
    words      TEXT,                           -- word lengths in code points, comma-separated
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX titles_split_status ON titles (split, status);

  CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    preset         TEXT NOT NULL,
    config         TEXT NOT NULL,              -- JSON
    status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    metrics        TEXT,                       -- JSON
    backend        TEXT,
    backend_reason TEXT,
    error          TEXT,
    timings        TEXT,                       -- JSON
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER
  );

  CREATE TABLE checkpoints (
    run_id   INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    manifest TEXT NOT NULL,                    -- JSON: config, vocabularies, scheme, metrics
    weights  BLOB NOT NULL
  );

  CREATE TABLE spans (
    id         INTEGER PRIMARY KEY,
    title_id   INTEGER NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    type_id    INTEGER NOT NULL REFERENCES entity_types (id),
    origin     TEXT NOT NULL CHECK (origin IN ('gold', 'weak', 'dictionary', 'model')),
    run_id     INTEGER REFERENCES runs (id) ON DELETE SET NULL,
    confidence REAL,
    created_at INTEGER NOT NULL,
    CHECK (start >= 0 AND end > start)
  );
  CREATE INDEX spans_title ON spans (title_id, start);
  CREATE INDEX spans_type ON spans (type_id, origin);
  CREATE INDEX spans_origin ON spans (origin);

  CREATE TABLE predictions (
    run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    title_id INTEGER NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
    spans    TEXT NOT NULL,                    -- JSON [{start, end, type, confidence}]
    PRIMARY KEY (run_id, title_id)
  ) WITHOUT ROWID;

  -- Undo/redo: each row is one user edit as a list of reversible operations (JSON). Rows with
  -- undone = 1 form the redo stack; a new edit deletes them.
  CREATE TABLE history (
    id         INTEGER PRIMARY KEY,
    label      TEXT NOT NULL,
    ops        TEXT NOT NULL,
    undone     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE imports (
    id         INTEGER PRIMARY KEY,
    file       TEXT NOT NULL,
    format     TEXT NOT NULL,
    options    TEXT NOT NULL,                  -- JSON
    titles     INTEGER NOT NULL,
    spans      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 2: gazetteers for weak labelling. A dictionary has a type for the whole file, or NULL
  // when each term carries its own (term<TAB>type files). Types are stored by name: a dictionary
  // outlives renaming or deleting an entity type, and applying it creates the type again.
  // dictionary_spans remembers which dictionary made a span (for "replace previous spans" and the
  // span counts); it goes with the span or the dictionary, whichever is deleted first.
  `
  CREATE TABLE dictionaries (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    type       TEXT,
    source     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
  );

  CREATE TABLE dictionary_terms (
    dictionary_id INTEGER NOT NULL REFERENCES dictionaries (id) ON DELETE CASCADE,
    term          TEXT NOT NULL CHECK (length(term) > 0),
    type          TEXT NOT NULL,
    PRIMARY KEY (dictionary_id, term, type)
  ) WITHOUT ROWID;

  CREATE TABLE dictionary_spans (
    span_id       INTEGER PRIMARY KEY REFERENCES spans (id) ON DELETE CASCADE,
    dictionary_id INTEGER NOT NULL REFERENCES dictionaries (id) ON DELETE CASCADE
  );
  CREATE INDEX dictionary_spans_dict ON dictionary_spans (dictionary_id);
  `,
  // 3: which process is training a run: the host name and pid of the process that forked the
  // trainer and records its results (the Electron main process, the server, or the CLI). A run
  // left 'queued'/'running' by a process that is gone is marked failed when the project is opened
  // (services/runs.ts, failInterruptedRuns). Runs from before this migration have NULL owners.
  `
  ALTER TABLE runs ADD COLUMN owner_host TEXT;
  ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
  `,
  // 4: char/bigram embeddings learnt from the project's titles (ml/embeddings). `key` =
  // hash of the titles and the options, `titles` = hash of the titles alone: a row whose titles no
  // longer match is stale and is dropped when a new one is stored. `vectors` = ml/embeddings
  // embeddingsToBytes. A cache: deleting rows loses nothing but the time to learn them again.
  `
  CREATE TABLE embeddings (
    key        TEXT PRIMARY KEY,
    titles     TEXT NOT NULL,
    vectors    BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 5: imports can be undone. A title remembers the import that created it; an undone
  // import keeps its row (the list shows it as undone) with undone_at set. Titles imported before
  // this migration have NULL import_id: their imports cannot be undone by id.
  `
  ALTER TABLE titles ADD COLUMN import_id INTEGER REFERENCES imports (id) ON DELETE SET NULL;
  CREATE INDEX titles_import ON titles (import_id) WHERE import_id IS NOT NULL;
  ALTER TABLE imports ADD COLUMN undone_at INTEGER;
  `,
  // 6: a prediction's title-level uncertainty: the total token entropy of the model's
  // per-character tag distribution (CRF marginals or softmax), in nats; NULL for models without one
  // (span head, BERT) and for predictions stored before this migration. The Pre-annotate queue's
  // 'entropy' order reads it.
  `
  ALTER TABLE predictions ADD COLUMN uncertainty REAL;
  `,
  // 7: a prediction's sequence-level confidence: log P(ŷ | x) of the predicted tag path (≤ 0; CRF:
  // the Viterbi path's score − log Z; softmax: Σ log max p). NULL for models without a tag
  // distribution (span head) and for predictions stored before this migration. The Pre-annotate
  // queue's 'sequence' and 'mnlp' orders read it.
  `
  ALTER TABLE predictions ADD COLUMN log_prob REAL;
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length
