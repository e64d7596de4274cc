// Package kev imports CISA's Known Exploited Vulnerabilities catalog
// (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json,
// schema https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json):
//
//	{"title": "…", "catalogVersion": "2024.05.01", "dateReleased": "…", "count": 1,
//	 "vulnerabilities": [{"cveID": "CVE-2021-44228", "vendorProject": "Apache",
//	   "product": "Log4j2", "vulnerabilityName": "…", "dateAdded": "2021-12-10",
//	   "shortDescription": "…", "requiredAction": "…", "dueDate": "2021-12-24",
//	   "knownRansomwareCampaignUse": "Known", "notes": "…", "cwes": ["CWE-20"]}]}
//
// Each entry becomes a [feed.KEV] enrichment record; cveID and dateAdded are
// required.
package kev
