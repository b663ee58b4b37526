-- Where a model came from: cvpipe.runs.stages has a row per stage execution of `cvpipe run`, with what each
-- stage read and wrote (tables as name@snapshot, models as path#fingerprint). A training stage read the samples
-- snapshot an ingest stage wrote: one join from a model back to the source its images came from.
--   bin/cvpipe sql -f notebooks/lineage.sql --set train.run=RUN
-- == the model of train.run, back to its ingest ==
SELECT DISTINCT t.pipeline, t.run_id AS trained_in, t.outputs AS model, t.inputs AS trained_on,
       i.inputs AS ingested_from
FROM cvpipe.runs.stages t
JOIN cvpipe.runs.stages i
  ON i.stage = 'ingest' AND i.status = 'succeeded' AND arrays_overlap(split(t.inputs, ', '), split(i.outputs, ', '))
WHERE t.stage = 'train' AND t.status = 'succeeded' AND t.outputs LIKE concat('%/', '${train.run}', '/best#%')
ORDER BY trained_in;
-- == the stages of the latest pipeline runs ==
SELECT run_id, stage_index, stage, status, substring(message, 1, 60) AS message, finished_at
FROM cvpipe.runs.stages
ORDER BY finished_at DESC, stage_index
LIMIT 20
