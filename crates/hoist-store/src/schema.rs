//! The database schema, as numbered migrations applied in order, each in a transaction.

/// Migrations; the database's `user_version` says how many have been applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: runs, jobs, steps, annotations, artifacts.
    "
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        number        INTEGER NOT NULL,
        attempt       INTEGER NOT NULL DEFAULT 1,
        workflow_name TEXT NOT NULL,
        workflow_path TEXT NOT NULL,
        event         TEXT NOT NULL,
        git_ref       TEXT NOT NULL,
        branch        TEXT NOT NULL,
        sha           TEXT NOT NULL,
        actor         TEXT NOT NULL,
        status        TEXT NOT NULL,          -- queued, in_progress, completed
        conclusion    TEXT,                   -- success, failure, cancelled, interrupted
        created_at    INTEGER NOT NULL,       -- milliseconds since the Unix epoch
        started_at    INTEGER,
        finished_at   INTEGER,
        pid           INTEGER,
        project_root  TEXT NOT NULL,
        request       TEXT NOT NULL           -- JSON: what `hoist runs rerun` needs
    );
    CREATE INDEX runs_by_workflow ON runs (workflow_path, id);
    CREATE TABLE jobs (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        job_id      TEXT NOT NULL,
        name        TEXT NOT NULL,
        matrix      TEXT NOT NULL,
        status      TEXT NOT NULL,
        conclusion  TEXT,
        started_at  INTEGER,
        finished_at INTEGER,
        outputs     TEXT NOT NULL DEFAULT '{}',
        log         BLOB,                     -- deflate; job-level lines (set-up, errors)
        UNIQUE (run_id, key)
    );
    CREATE TABLE steps (
        id          INTEGER PRIMARY KEY,
        job         INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        name        TEXT NOT NULL,
        status      TEXT NOT NULL,
        outcome     TEXT,
        conclusion  TEXT,
        exit_code   INTEGER,
        started_at  INTEGER,
        finished_at INTEGER,
        outputs     TEXT NOT NULL DEFAULT '{}',
        summary     TEXT,
        log         BLOB,                     -- deflate
        UNIQUE (job, idx)
    );
    CREATE TABLE annotations (
        id       INTEGER PRIMARY KEY,
        run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        job      INTEGER REFERENCES jobs (id) ON DELETE CASCADE,
        step_idx INTEGER,
        level    TEXT NOT NULL,
        message  TEXT NOT NULL,
        title    TEXT,
        file     TEXT,
        line     INTEGER,
        col      INTEGER
    );
    CREATE TABLE artifacts (
        id     INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        job    INTEGER REFERENCES jobs (id) ON DELETE CASCADE,
        name   TEXT NOT NULL,
        path   TEXT NOT NULL,
        size   INTEGER NOT NULL
    );
    ",
    // 2: metrics and object storage. Runs recorded before this migration count as uploaded:
    // their logs stay in the database, where they were.
    "
    ALTER TABLE runs ADD COLUMN repo TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN imported_from TEXT;          -- `repo#run-id` of an imported run
    ALTER TABLE runs ADD COLUMN upload_state TEXT NOT NULL DEFAULT 'done';  -- pending, done
    ALTER TABLE runs ADD COLUMN upload_attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN upload_after INTEGER;        -- no retry before (ms)
    ALTER TABLE runs ADD COLUMN upload_error TEXT;
    ALTER TABLE runs ADD COLUMN storage_url TEXT;            -- where the run's objects are
    ALTER TABLE runs ADD COLUMN log_key TEXT;                -- gzip members, one per log
    ALTER TABLE runs ADD COLUMN metrics_key TEXT;
    CREATE INDEX runs_pending ON runs (upload_state) WHERE upload_state = 'pending';
    CREATE UNIQUE INDEX runs_imported ON runs (imported_from) WHERE imported_from IS NOT NULL;
    CREATE INDEX runs_by_start ON runs (started_at);
    ALTER TABLE jobs ADD COLUMN queued_at INTEGER;
    ALTER TABLE jobs ADD COLUMN tests TEXT;                  -- JSON test counts
    ALTER TABLE jobs ADD COLUMN log_start INTEGER;           -- byte range in the log object
    ALTER TABLE jobs ADD COLUMN log_end INTEGER;
    ALTER TABLE steps ADD COLUMN tests TEXT;
    ALTER TABLE steps ADD COLUMN log_start INTEGER;
    ALTER TABLE steps ADD COLUMN log_end INTEGER;
    ALTER TABLE artifacts ADD COLUMN key TEXT;               -- prefix of its objects
    ",
    // 3: the job id qualified by its callers' (`test / make`), for per-job metrics of
    // reusable workflows.
    "
    ALTER TABLE jobs ADD COLUMN path TEXT;
    ",
    // 4: the lines a running step (or job) has printed so far, written as they come so that
    // a killed run keeps them; folded into `log` when the step ends or the run is found
    // interrupted.
    "
    CREATE TABLE log_chunks (
        id       INTEGER PRIMARY KEY,
        job      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        step_idx INTEGER,                   -- none: the job's own lines
        text     TEXT NOT NULL
    );
    CREATE INDEX log_chunks_by_log ON log_chunks (job, step_idx, id);
    ",
    // 5: a running step's process group and its leader's start time, so that the Hoist that
    // finds a run interrupted can end what the killed one left running.
    "
    ALTER TABLE steps ADD COLUMN pgid INTEGER;
    ALTER TABLE steps ADD COLUMN pgid_start INTEGER;
    ",
    // 6: the job queue of `hoist serve` (see `queue.rs`).
    "
    CREATE TABLE queue (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        job_key     TEXT NOT NULL,
        labels      TEXT NOT NULL,           -- JSON: the runs-on labels a runner must have
        request     TEXT NOT NULL,           -- JSON: the JobRequest
        state       TEXT NOT NULL,           -- queued, claimed, done
        runner      TEXT,
        attempts    INTEGER NOT NULL DEFAULT 0,
        lease_until INTEGER,                 -- ms since the epoch, by the server's clock
        result      TEXT,                    -- JSON: the JobOutcome, once done
        queued_at   INTEGER NOT NULL,
        claimed_at  INTEGER,
        finished_at INTEGER,
        UNIQUE (run_id, job_key)
    );
    CREATE INDEX queue_waiting ON queue (state, id);
    ",
    // 7: the last event a runner reported per queued job and attempt, written with the
    // events, so that a report sent again (even to a restarted server) is recorded once.
    "
    ALTER TABLE queue ADD COLUMN event_attempt INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queue ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
    ",
    // 8: API tokens (digests only) and the audit log of `hoist serve`.
    "
    CREATE TABLE tokens (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        kind       TEXT NOT NULL,            -- viewer, developer, approver, admin, runner
        digest     BLOB NOT NULL UNIQUE,     -- SHA-256 of the token
        created_at INTEGER NOT NULL,
        last_used  INTEGER,
        revoked    INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE audit (
        id     INTEGER PRIMARY KEY,
        at     INTEGER NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        repo   TEXT,
        detail TEXT NOT NULL,                -- JSON
        run_id INTEGER
    );
    CREATE INDEX audit_by_repo ON audit (repo, id);
    ",
    // 9: a cancellation asked for a job a runner holds; the runner hears it when it renews.
    "
    ALTER TABLE queue ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
    ",
    // 10: the branch heads a polling server last saw, per repository.
    "
    CREATE TABLE branch_heads (
        repo   TEXT NOT NULL,
        branch TEXT NOT NULL,
        sha    TEXT NOT NULL,
        PRIMARY KEY (repo, branch)
    );
    ",
    // 11: which server plans a run, until when (a lease it renews), and a cancellation asked
    // of that server through another (see `planning.rs`). Server runs in progress before
    // this migration are left to the first server that looks.
    "
    ALTER TABLE runs ADD COLUMN planner TEXT;
    ALTER TABLE runs ADD COLUMN planner_until INTEGER;
    ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
    UPDATE runs SET planner = '', planner_until = 0
        WHERE status = 'in_progress' AND request LIKE '%\"server\":true%';
    ",
    // 12: the repositories a token is limited to (JSON list; none: all of them).
    "
    ALTER TABLE tokens ADD COLUMN repos TEXT;
    ",
    // 13: webhook deliveries, by the forge's delivery id: each acted on once.
    "
    CREATE TABLE deliveries (
        id          TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL,
        forge       TEXT NOT NULL,
        event       TEXT NOT NULL,
        repo        TEXT,
        status      TEXT NOT NULL,       -- accepted, ignored, rejected
        reason      TEXT,
        runs        TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX deliveries_by_time ON deliveries (received_at);
    ",
    // 14: GitOps sync history: one row per sync of an application, numbered per app.
    "
    CREATE TABLE app_syncs (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        app          TEXT NOT NULL,
        number       INTEGER NOT NULL,
        revision     TEXT NOT NULL,
        revisions    TEXT NOT NULL DEFAULT '[]',
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER,
        initiated_by TEXT NOT NULL,
        automated    INTEGER NOT NULL DEFAULT 0,
        phase        TEXT NOT NULL,        -- Running, Succeeded, Failed, Error
        message      TEXT,
        digest       TEXT NOT NULL,
        kinds        TEXT NOT NULL DEFAULT '[]',
        rollback_of  INTEGER,
        UNIQUE (app, number)
    );
    ",
    // 15: events into the server: repositories registered at run time (hosted ones) and
    // the settings of every repository set through the API; pull requests; the body of each
    // webhook delivery (for a redelivery); the schedule minutes that fired.
    "
    CREATE TABLE repositories (
        name       TEXT PRIMARY KEY,
        hosted     INTEGER NOT NULL DEFAULT 0,
        settings   TEXT NOT NULL DEFAULT '{}',   -- JSON: RepoSettings
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE pulls (
        repo       TEXT NOT NULL,
        number     INTEGER NOT NULL,
        title      TEXT NOT NULL,
        author     TEXT NOT NULL,
        head_ref   TEXT NOT NULL,
        base_ref   TEXT NOT NULL,
        head_sha   TEXT NOT NULL,
        base_sha   TEXT NOT NULL,
        merge_sha  TEXT,                          -- none: head and base conflict
        state      TEXT NOT NULL,                 -- open, closed, merged
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        merged_at  INTEGER,
        merged_by  TEXT,
        PRIMARY KEY (repo, number)
    );
    ALTER TABLE deliveries ADD COLUMN headers TEXT;   -- JSON: the headers that matter
    ALTER TABLE deliveries ADD COLUMN body BLOB;
    CREATE TABLE schedule_ticks (
        repo     TEXT NOT NULL,
        workflow TEXT NOT NULL,
        cron     TEXT NOT NULL,
        minute   INTEGER NOT NULL,               -- minutes since the epoch, UTC
        run_id   INTEGER,
        PRIMARY KEY (repo, workflow, cron, minute)
    );
    ALTER TABLE runs ADD COLUMN head_sha TEXT;       -- the commit its statuses are of (a PR's head)
    CREATE INDEX runs_by_sha ON runs (repo, sha);
    CREATE INDEX runs_by_head ON runs (repo, head_sha);
    ",
    // 16: concurrency groups: each run or job that names a group, and where it stands in it.
    "
    CREATE TABLE concurrency (
        repo              TEXT NOT NULL,
        grp               TEXT NOT NULL,
        run_id            INTEGER NOT NULL,
        job_key           TEXT NOT NULL,          -- '' for the run itself
        state             TEXT NOT NULL,          -- running, pending, cancelled, left
        cancel_requested  INTEGER NOT NULL DEFAULT 0,
        reason            TEXT,
        joined_at         INTEGER NOT NULL,
        PRIMARY KEY (run_id, job_key)
    );
    CREATE INDEX concurrency_by_group ON concurrency (repo, grp, state);
    ",
    // 17: the commit statuses last posted to each repository's forge.
    "
    CREATE TABLE forge_statuses (
        repo       TEXT NOT NULL,
        sha        TEXT NOT NULL,
        context    TEXT NOT NULL,
        state      TEXT NOT NULL,
        posted_at  INTEGER NOT NULL,
        PRIMARY KEY (repo, sha, context)
    );
    ",
    // 18: secrets at rest, sealed by the server (the store never sees a key), and the sealed
    // secrets a queued job carries to its runner.
    "
    CREATE TABLE secrets (
        repo        TEXT NOT NULL,
        environment TEXT NOT NULL,
        name        TEXT NOT NULL,
        sealed      TEXT NOT NULL,
        updated_at  INTEGER NOT NULL,
        updated_by  TEXT NOT NULL,
        PRIMARY KEY (repo, environment, name)
    );
    ALTER TABLE queue ADD COLUMN sealed TEXT;
    ",
    // 19: environments with their protection rules and variables, and deployments (one per
    // job instance that targets an environment) with their status history and reviews.
    "
    CREATE TABLE environments (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        repo        TEXT NOT NULL,
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL,
        settings    TEXT NOT NULL,
        source      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        UNIQUE (repo, name_key)
    );
    CREATE TABLE deployments (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        repo         TEXT NOT NULL,
        environment  TEXT NOT NULL,
        env_id       INTEGER NOT NULL,
        run_id       INTEGER NOT NULL,
        attempt      INTEGER NOT NULL,
        job_key      TEXT NOT NULL,
        git_ref      TEXT NOT NULL,
        sha          TEXT NOT NULL,
        creator      TEXT NOT NULL,
        state        TEXT NOT NULL,
        url          TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        UNIQUE (run_id, attempt, job_key)
    );
    CREATE INDEX deployments_by_env ON deployments (repo, environment, id);
    CREATE TABLE deployment_statuses (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        deployment_id  INTEGER NOT NULL,
        at             INTEGER NOT NULL,
        state          TEXT NOT NULL,
        description    TEXT NOT NULL
    );
    CREATE INDEX deployment_statuses_by_deployment ON deployment_statuses (deployment_id);
    CREATE TABLE deployment_reviews (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        deployment_id  INTEGER NOT NULL,
        at             INTEGER NOT NULL,
        reviewer       TEXT NOT NULL,
        state          TEXT NOT NULL,
        comment        TEXT NOT NULL
    );
    ",
    // 20: the OIDC issuer's signing keys (private halves sealed by the server) and the digest
    // of the token a claimed job asks for its ID tokens with.
    "
    CREATE TABLE oidc_keys (
        kid         TEXT PRIMARY KEY,
        sealed      TEXT NOT NULL,
        public_jwk  TEXT NOT NULL,
        created_at  INTEGER NOT NULL
    );
    ALTER TABLE queue ADD COLUMN id_token_digest TEXT;
    ",
];

/// The same schema for PostgreSQL, as its own numbered migrations (the version is kept in
/// the table `hoist_schema`). Migration 1 is the SQLite schema as of its migration 10, in
/// PostgreSQL's types: integers are `BIGINT` (Hoist reads every integer as 64 bits), blobs
/// `BYTEA`, and row ids identity columns; each later one is the SQLite migration of the same
/// change (2 is SQLite's 11). A change to the schema is a migration in both lists.
pub(crate) const POSTGRES_MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE runs (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        number        BIGINT NOT NULL,
        attempt       BIGINT NOT NULL DEFAULT 1,
        workflow_name TEXT NOT NULL,
        workflow_path TEXT NOT NULL,
        event         TEXT NOT NULL,
        git_ref       TEXT NOT NULL,
        branch        TEXT NOT NULL,
        sha           TEXT NOT NULL,
        actor         TEXT NOT NULL,
        status        TEXT NOT NULL,
        conclusion    TEXT,
        created_at    BIGINT NOT NULL,
        started_at    BIGINT,
        finished_at   BIGINT,
        pid           BIGINT,
        project_root  TEXT NOT NULL,
        request       TEXT NOT NULL,
        repo            TEXT NOT NULL DEFAULT '',
        runner          TEXT NOT NULL DEFAULT '',
        imported_from   TEXT,
        upload_state    TEXT NOT NULL DEFAULT 'done',
        upload_attempts BIGINT NOT NULL DEFAULT 0,
        upload_after    BIGINT,
        upload_error    TEXT,
        storage_url     TEXT,
        log_key         TEXT,
        metrics_key     TEXT
    );
    CREATE INDEX runs_by_workflow ON runs (workflow_path, id);
    CREATE INDEX runs_pending ON runs (upload_state) WHERE upload_state = 'pending';
    CREATE UNIQUE INDEX runs_imported ON runs (imported_from) WHERE imported_from IS NOT NULL;
    CREATE INDEX runs_by_start ON runs (started_at);
    CREATE TABLE jobs (
        id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        run_id      BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        job_id      TEXT NOT NULL,
        name        TEXT NOT NULL,
        matrix      TEXT NOT NULL,
        status      TEXT NOT NULL,
        conclusion  TEXT,
        started_at  BIGINT,
        finished_at BIGINT,
        outputs     TEXT NOT NULL DEFAULT '{}',
        log         BYTEA,
        queued_at   BIGINT,
        tests       TEXT,
        log_start   BIGINT,
        log_end     BIGINT,
        path        TEXT,
        UNIQUE (run_id, key)
    );
    CREATE TABLE steps (
        id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        job         BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx         BIGINT NOT NULL,
        name        TEXT NOT NULL,
        status      TEXT NOT NULL,
        outcome     TEXT,
        conclusion  TEXT,
        exit_code   BIGINT,
        started_at  BIGINT,
        finished_at BIGINT,
        outputs     TEXT NOT NULL DEFAULT '{}',
        summary     TEXT,
        log         BYTEA,
        tests       TEXT,
        log_start   BIGINT,
        log_end     BIGINT,
        pgid        BIGINT,
        pgid_start  BIGINT,
        UNIQUE (job, idx)
    );
    CREATE TABLE annotations (
        id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        run_id   BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        job      BIGINT REFERENCES jobs (id) ON DELETE CASCADE,
        step_idx BIGINT,
        level    TEXT NOT NULL,
        message  TEXT NOT NULL,
        title    TEXT,
        file     TEXT,
        line     BIGINT,
        col      BIGINT
    );
    CREATE TABLE artifacts (
        id     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        job    BIGINT REFERENCES jobs (id) ON DELETE CASCADE,
        name   TEXT NOT NULL,
        path   TEXT NOT NULL,
        size   BIGINT NOT NULL,
        key    TEXT
    );
    CREATE TABLE log_chunks (
        id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        job      BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        step_idx BIGINT,
        text     TEXT NOT NULL
    );
    CREATE INDEX log_chunks_by_log ON log_chunks (job, step_idx, id);
    CREATE TABLE queue (
        id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        run_id           BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        job_key          TEXT NOT NULL,
        labels           TEXT NOT NULL,
        request          TEXT NOT NULL,
        state            TEXT NOT NULL,
        runner           TEXT,
        attempts         BIGINT NOT NULL DEFAULT 0,
        lease_until      BIGINT,
        result           TEXT,
        queued_at        BIGINT NOT NULL,
        claimed_at       BIGINT,
        finished_at      BIGINT,
        event_attempt    BIGINT NOT NULL DEFAULT 0,
        event_seq        BIGINT NOT NULL DEFAULT 0,
        cancel_requested BIGINT NOT NULL DEFAULT 0,
        UNIQUE (run_id, job_key)
    );
    CREATE INDEX queue_waiting ON queue (state, id);
    CREATE TABLE tokens (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name       TEXT NOT NULL,
        kind       TEXT NOT NULL,
        digest     BYTEA NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        last_used  BIGINT,
        revoked    BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE audit (
        id     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at     BIGINT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        repo   TEXT,
        detail TEXT NOT NULL,
        run_id BIGINT
    );
    CREATE INDEX audit_by_repo ON audit (repo, id);
    CREATE TABLE branch_heads (
        repo   TEXT NOT NULL,
        branch TEXT NOT NULL,
        sha    TEXT NOT NULL,
        PRIMARY KEY (repo, branch)
    );
",
    "
    ALTER TABLE runs ADD COLUMN planner TEXT;
    ALTER TABLE runs ADD COLUMN planner_until BIGINT;
    ALTER TABLE runs ADD COLUMN cancel_requested BIGINT NOT NULL DEFAULT 0;
",
    "
    ALTER TABLE tokens ADD COLUMN repos TEXT;
",
    "
    CREATE TABLE deliveries (
        id          TEXT PRIMARY KEY,
        received_at BIGINT NOT NULL,
        forge       TEXT NOT NULL,
        event       TEXT NOT NULL,
        repo        TEXT,
        status      TEXT NOT NULL,
        reason      TEXT,
        runs        TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX deliveries_by_time ON deliveries (received_at);
",
    "
    CREATE TABLE app_syncs (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        app          TEXT NOT NULL,
        number       BIGINT NOT NULL,
        revision     TEXT NOT NULL,
        revisions    TEXT NOT NULL DEFAULT '[]',
        started_at   BIGINT NOT NULL,
        finished_at  BIGINT,
        initiated_by TEXT NOT NULL,
        automated    BIGINT NOT NULL DEFAULT 0,
        phase        TEXT NOT NULL,
        message      TEXT,
        digest       TEXT NOT NULL,
        kinds        TEXT NOT NULL DEFAULT '[]',
        rollback_of  BIGINT,
        UNIQUE (app, number)
    );
",
    "
    CREATE TABLE repositories (
        name       TEXT PRIMARY KEY,
        hosted     BIGINT NOT NULL DEFAULT 0,
        settings   TEXT NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE pulls (
        repo       TEXT NOT NULL,
        number     BIGINT NOT NULL,
        title      TEXT NOT NULL,
        author     TEXT NOT NULL,
        head_ref   TEXT NOT NULL,
        base_ref   TEXT NOT NULL,
        head_sha   TEXT NOT NULL,
        base_sha   TEXT NOT NULL,
        merge_sha  TEXT,
        state      TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        merged_at  BIGINT,
        merged_by  TEXT,
        PRIMARY KEY (repo, number)
    );
    ALTER TABLE deliveries ADD COLUMN headers TEXT;
    ALTER TABLE deliveries ADD COLUMN body BYTEA;
    CREATE TABLE schedule_ticks (
        repo     TEXT NOT NULL,
        workflow TEXT NOT NULL,
        cron     TEXT NOT NULL,
        minute   BIGINT NOT NULL,
        run_id   BIGINT,
        PRIMARY KEY (repo, workflow, cron, minute)
    );
    ALTER TABLE runs ADD COLUMN head_sha TEXT;       -- the commit its statuses are of (a PR's head)
    CREATE INDEX runs_by_sha ON runs (repo, sha);
    CREATE INDEX runs_by_head ON runs (repo, head_sha);
",
    "
    CREATE TABLE concurrency (
        repo              TEXT NOT NULL,
        grp               TEXT NOT NULL,
        run_id            BIGINT NOT NULL,
        job_key           TEXT NOT NULL,
        state             TEXT NOT NULL,
        cancel_requested  BIGINT NOT NULL DEFAULT 0,
        reason            TEXT,
        joined_at         BIGINT NOT NULL,
        PRIMARY KEY (run_id, job_key)
    );
    CREATE INDEX concurrency_by_group ON concurrency (repo, grp, state);
",
    "
    CREATE TABLE forge_statuses (
        repo       TEXT NOT NULL,
        sha        TEXT NOT NULL,
        context    TEXT NOT NULL,
        state      TEXT NOT NULL,
        posted_at  BIGINT NOT NULL,
        PRIMARY KEY (repo, sha, context)
    );
",
    "
    CREATE TABLE secrets (
        repo        TEXT NOT NULL,
        environment TEXT NOT NULL,
        name        TEXT NOT NULL,
        sealed      TEXT NOT NULL,
        updated_at  BIGINT NOT NULL,
        updated_by  TEXT NOT NULL,
        PRIMARY KEY (repo, environment, name)
    );
    ALTER TABLE queue ADD COLUMN sealed TEXT;
",
    "
    CREATE TABLE environments (
        id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        repo        TEXT NOT NULL,
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL,
        settings    TEXT NOT NULL,
        source      TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        updated_at  BIGINT NOT NULL,
        UNIQUE (repo, name_key)
    );
    CREATE TABLE deployments (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        repo         TEXT NOT NULL,
        environment  TEXT NOT NULL,
        env_id       BIGINT NOT NULL,
        run_id       BIGINT NOT NULL,
        attempt      BIGINT NOT NULL,
        job_key      TEXT NOT NULL,
        git_ref      TEXT NOT NULL,
        sha          TEXT NOT NULL,
        creator      TEXT NOT NULL,
        state        TEXT NOT NULL,
        url          TEXT,
        created_at   BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL,
        UNIQUE (run_id, attempt, job_key)
    );
    CREATE INDEX deployments_by_env ON deployments (repo, environment, id);
    CREATE TABLE deployment_statuses (
        id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        deployment_id  BIGINT NOT NULL,
        at             BIGINT NOT NULL,
        state          TEXT NOT NULL,
        description    TEXT NOT NULL
    );
    CREATE INDEX deployment_statuses_by_deployment ON deployment_statuses (deployment_id);
    CREATE TABLE deployment_reviews (
        id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        deployment_id  BIGINT NOT NULL,
        at             BIGINT NOT NULL,
        reviewer       TEXT NOT NULL,
        state          TEXT NOT NULL,
        comment        TEXT NOT NULL
    );
",
    "
    CREATE TABLE oidc_keys (
        kid         TEXT PRIMARY KEY,
        sealed      TEXT NOT NULL,
        public_jwk  TEXT NOT NULL,
        created_at  BIGINT NOT NULL
    );
    ALTER TABLE queue ADD COLUMN id_token_digest TEXT;
",
];
