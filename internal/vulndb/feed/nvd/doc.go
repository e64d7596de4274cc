// Package nvd imports NVD CVE API 2.0 JSON: API response pages and the
// JSON 2.0 data feeds (nvdcve-2.0-<year>.json[.gz]), which share one shape:
//
//	{"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [
//	  {"cve": {"id": "CVE-…", "published": "…", "lastModified": "…",
//	   "vulnStatus": "Analyzed",
//	   "metrics": {"cvssMetricV40": [{"source": "…", "type": "Primary",
//	                                   "cvssData": {"version": "4.0", "vectorString": "CVSS:4.0/…", "baseScore": 9.3}}],
//	               "cvssMetricV31": […], "cvssMetricV30": […], "cvssMetricV2": […]},
//	   "weaknesses": [{"description": [{"lang": "en", "value": "CWE-787"}]}]}}]}
//
// Each CVE becomes a [feed.NVD] enrichment record: dates, status, every CVSS
// assessment (vector and NVD's published base score; the vector must parse)
// and the CWE ids. The vulnerabilities array is read as a stream.
package nvd
