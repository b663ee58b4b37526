-- Sample Efficient Training (train.set.enabled): cvpipe.runs.set_state has every training sample's counter after
-- each scoring epoch of a run, and whether it sat out the epochs after. Which classes does the model find easy,
-- which samples came back, and how many optimiser steps did the run save?
--   bin/cvpipe sql -f notebooks/set-state.sql --set dataset=NAME --set train.run=RUN
-- == easy and skipped samples per class and scoring epoch ==
SELECT s.epoch, s.class_index, c.label, c.name, count(*) AS samples,
       round(avg(CAST(s.easy AS INT)), 3) AS easy_share, count_if(s.skipped) AS skipped,
       round(avg(s.confidence), 3) AS mean_confidence
FROM cvpipe.runs.set_state s
LEFT JOIN cvpipe.${dataset}.classes c ON c.class_index = s.class_index
WHERE s.run = '${train.run}'
GROUP BY s.epoch, s.class_index, c.label, c.name
ORDER BY s.epoch, easy_share DESC;
-- == samples that sat out and came back (skipped after one scoring, not after the next) ==
SELECT epoch, count(*) AS came_back, round(avg(confidence), 3) AS their_confidence_now
FROM (SELECT epoch, skipped, confidence,
             lag(skipped) OVER (PARTITION BY sample_id ORDER BY epoch) AS skipped_before
      FROM cvpipe.runs.set_state
      WHERE run = '${train.run}')
WHERE skipped_before AND NOT skipped
GROUP BY epoch
ORDER BY epoch;
-- == optimiser steps per epoch, against the epoch without SET ==
SELECT epoch, steps, full_steps, set_skipped, round(1 - steps / full_steps, 3) AS saved, top1
FROM cvpipe.runs.train_metrics
WHERE run = '${train.run}'
ORDER BY epoch
