-- Where each ingester has got to in its feed. Written only after the batch before it was inserted, so a restart
-- resumes at or before the last event stored (never after one it did not store). Readers take the row with the
-- largest version (argMax), so they need no FINAL and no merge.
CREATE TABLE IF NOT EXISTS ingest_checkpoint
(
    name        String,
    position    String,
    version     UInt64,
    updated_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name
