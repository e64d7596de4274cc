// Package epss imports FIRST EPSS scores (https://www.first.org/epss/data_stats),
// the daily CSV (epss_scores-YYYY-MM-DD.csv.gz; the ingest package removes
// the gzip layer):
//
//	#model_version:v2025.03.14,score_date:2025-06-01T12:55:00Z
//	cve,epss,percentile
//	CVE-2021-44228,0.94358,0.99957
//
// The comment line is optional (older files have none). Each row becomes a
// [feed.EPSS] enrichment record; score and percentile must be in [0, 1].
package epss
