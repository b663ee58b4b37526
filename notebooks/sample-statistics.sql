-- Sample statistics of one ingested dataset.
-- Run: bin/cvpipe sql -f notebooks/sample-statistics.sql --set dataset=NAME
-- (in a Spark SQL session of your own, put the dataset name where the dataset placeholder stands)

-- == Rows per split, and what was quarantined ==
SELECT s.split, s.samples, coalesce(q.quarantined, 0) AS quarantined, s.classes, s.gigabytes
FROM (SELECT split, count(*) AS samples, count(DISTINCT class_index) AS classes,
             round(sum(byte_size) / 1e9, 3) AS gigabytes
      FROM cvpipe.${dataset}.samples GROUP BY split) s
LEFT JOIN (SELECT split, count(*) AS quarantined FROM cvpipe.${dataset}.quarantine GROUP BY split) q
  ON s.split = q.split
ORDER BY s.split;

-- == Images per class and split (fewest first: the classes to worry about) ==
SELECT s.class_index, s.label, c.name, s.split, count(*) AS images
FROM cvpipe.${dataset}.samples s LEFT JOIN cvpipe.${dataset}.classes c ON s.class_index = c.class_index
GROUP BY s.class_index, s.label, c.name, s.split
ORDER BY images, s.class_index, s.split
LIMIT 50;

-- == Image size distribution (pixels; percentiles) ==
SELECT split,
       min(width) AS min_w, percentile_approx(width, 0.5) AS median_w, max(width) AS max_w,
       min(height) AS min_h, percentile_approx(height, 0.5) AS median_h, max(height) AS max_h,
       percentile_approx(width * height, array(0.05, 0.5, 0.95)) AS pixels_p5_p50_p95
FROM cvpipe.${dataset}.samples GROUP BY split ORDER BY split;

-- == Aspect ratio (width / height) histogram ==
SELECT CASE WHEN width / height < 0.75 THEN 'a: < 3:4 (tall)'
            WHEN width / height < 0.95 THEN 'b: 3:4 .. 0.95'
            WHEN width / height <= 1.05 THEN 'c: square (0.95 .. 1.05)'
            WHEN width / height <= 1.34 THEN 'd: 1.05 .. 4:3'
            WHEN width / height <= 1.8 THEN 'e: 4:3 .. 16:9'
            ELSE 'f: > 16:9 (wide)' END AS aspect, count(*) AS images
FROM cvpipe.${dataset}.samples GROUP BY 1 ORDER BY 1;

-- == File sizes (KB) ==
SELECT split, round(min(byte_size) / 1024, 1) AS min_kb, round(avg(byte_size) / 1024, 1) AS avg_kb,
       round(percentile_approx(byte_size, 0.95) / 1024, 1) AS p95_kb, round(max(byte_size) / 1024, 1) AS max_kb
FROM cvpipe.${dataset}.samples GROUP BY split ORDER BY split;

-- == Formats and channels (a PNG named .JPEG counts as png; 4 channels: CMYK) ==
SELECT format, channels, count(*) AS images FROM cvpipe.${dataset}.samples
GROUP BY format, channels ORDER BY images DESC;

-- == Quarantine reasons ==
SELECT reason, kind, count(*) AS records, min(source_path) AS example, min(message) AS example_message
FROM cvpipe.${dataset}.quarantine GROUP BY reason, kind ORDER BY records DESC;

-- == Duplicate content (same sha256 under more than one sample) ==
SELECT sha256, count(*) AS copies, collect_list(concat(split, ':', coalesce(label, ''))) AS where_found
FROM cvpipe.${dataset}.samples GROUP BY sha256 HAVING count(*) > 1 ORDER BY copies DESC LIMIT 20;

-- == Ingest runs ==
SELECT run_id, format, validation, rows_in, already_present, samples_written, quarantined,
       cast(finished_at AS long) - cast(started_at AS long) AS seconds
FROM cvpipe.runs.ingest WHERE dataset = '${dataset}' ORDER BY started_at;
