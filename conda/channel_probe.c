/* channel_probe.c — does a channel have a subdir? (channel.h, channel_subdir_exists). A build
 * for several platforms asks this before any of them is built, so that a channel without
 * linux-aarch64/ is named up front instead of a late "nothing provides python". */
#include "channel.h"

#include <string.h>

static const char *const forms[] = {"repodata.json", "repodata.json.zst", "repodata.json.bz2",
				    "repodata_shards.msgpack.zst"};

/* 1 present, 0 missing (404/410, no such file), -1 cannot tell. */
static int head_one(const http_client_t *http, CURL *curl, const char *url)
{
	long status = 0;
	curl_easy_reset(curl);
	http_client_setup(http, curl, url, HTTP_ALLOW_FILE | HTTP_FOLLOW);
	curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_FILE_COULDNT_READ_FILE)
		return 0;
	if (rc != CURLE_OK)
		return -1;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (!strncmp(url, "file:", 5) || (status >= 200 && status < 300))
		return 1;
	return status == 404 || status == 410 ? 0 : -1;
}

int channel_subdir_exists(const http_client_t *http, const char *base_url, const char *subdir,
			  int is_offline)
{
	buf_t url = BUF_INIT;
	int missing = 0, is_file = !strncmp(base_url, "file://", 7);
	CURL *curl;
	if (is_offline && !is_file)
		return 1;
	if (!(curl = curl_easy_init()))
		return 1;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		buf_setstr(&url, base_url);
		buf_addpath(&url, subdir);
		buf_addpath(&url, forms[i]);
		int r = head_one(http, curl, url.data);
		if (r != 0) {
			missing = 0;
			break;
		}
		missing = 1;
	}
	curl_easy_cleanup(curl);
	buf_free(&url);
	return !missing;
}
