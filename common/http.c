/* http.c — the shared HTTP client policy (see http.h): one client config built from options
 * and the environment, applied to every libcurl easy handle imgbuild uses, and the retry
 * schedule. The GET used by channels and shards is in http_get.c, URL helpers in http_url.c. */
#include "http.h"
#include "version.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HTTP_USER_AGENT "imgbuild/" IMGBUILD_VERSION
#define HTTP_DEFAULT_ATTEMPTS 5
#define HTTP_DEFAULT_BACKOFF_MS 300
#define HTTP_BACKOFF_CAP_MS 8000
#define HTTP_RETRY_AFTER_CAP_S 30
#define HTTP_CONNECT_TIMEOUT_S 30L
#define HTTP_LOW_SPEED_BYTES 1024L
#define HTTP_LOW_SPEED_TIME_S 60L
/* CAINFO replaces libcurl's bundle; CAPATH (Debian's hashed system CAs) keeps those trusted. */
#define HTTP_SYSTEM_CA_DIR "/etc/ssl/certs"
#define HTTP_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt" /* the same CAs, one file */

struct http_client {
	char *ca_file;         /* extra CA bundle, or NULL */
	int has_system_ca_dir; /* HTTP_SYSTEM_CA_DIR holds hashed CA names (has_hashed_cas) */
	int max_attempts;
	long backoff_ms;
	long low_speed_bytes;
	long low_speed_time_s;
};

/* 1 when dir holds at least one OpenSSL subject-hash name ("5ad8a5d6.0"), as
 * update-ca-certificates (c_rehash) makes: then it can stand for the bundle file. */
static int has_hashed_cas(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	if (!d)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t i = 0;
		while (i < 8 && isxdigit((unsigned char)n[i]))
			i++;
		found = i == 8 && n[8] == '.' && isdigit((unsigned char)n[9]);
	}
	closedir(d);
	return found;
}

static int is_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A positive whole number from the environment, else fallback; -1 for a bad value. */
static int env_positive(const char *name, long fallback, long max, long *out, err_t *err)
{
	const char *v = getenv(name);
	char *end = NULL;
	*out = fallback;
	if (!v || !*v)
		return 0;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || !end || *end || n <= 0 || n > max)
		return err_set(err, "$%s='%s': expected a whole number from 1 to %ld", name, v,
			       max);
	*out = n;
	return 0;
}

/* The extra CA file: the option, else the first CA variable that is set. */
static int pick_ca_file(const char *given, http_client_t *c, err_t *err)
{
	static const char *const vars[] = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"};
	const char *path = given && *given ? given : NULL, *from = NULL;
	for (size_t i = 0; !path && i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			path = v;
			from = vars[i];
		}
	}
	if (!path)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "CA file %s%s%s%s: cannot read it: %s", path,
			       from ? " (from $" : "", from ? from : "", from ? ")" : "",
			       strerror(errno));
	close(fd);
	c->ca_file = xstrdup(path);
	return 0;
}

http_client_t *http_client_new(const http_opts_t *opts, err_t *err)
{
	static const http_opts_t defaults = {NULL, 0, 0};
	http_client_t *c = xcalloc(1, sizeof *c);
	if (!opts)
		opts = &defaults;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		err_set(err, "libcurl failed to initialise: %s", curl_easy_strerror(curl_init_rc));
		goto fail;
	}
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : HTTP_DEFAULT_ATTEMPTS;
	c->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : HTTP_DEFAULT_BACKOFF_MS;
	if (env_positive("IMGBUILD_HTTP_LOW_SPEED_LIMIT", HTTP_LOW_SPEED_BYTES, 1L << 30,
			 &c->low_speed_bytes, err) != 0 ||
	    env_positive("IMGBUILD_HTTP_LOW_SPEED_TIME", HTTP_LOW_SPEED_TIME_S, 86400,
			 &c->low_speed_time_s, err) != 0 ||
	    pick_ca_file(opts->ca_cert, c, err) != 0)
		goto fail;
	c->has_system_ca_dir = has_hashed_cas(HTTP_SYSTEM_CA_DIR);
	/* SSL_CERT_FILE naming the system bundle itself (many CI images set it) adds nothing
	 * the hashed directory lacks: it is not parsed either */
	if (c->ca_file && c->has_system_ca_dir && is_same_file(c->ca_file, HTTP_SYSTEM_CA_FILE)) {
		free(c->ca_file);
		c->ca_file = NULL;
	}
	return c;
fail:
	http_client_free(c);
	return NULL;
}

void http_client_free(http_client_t *c)
{
	if (!c)
		return;
	free(c->ca_file);
	free(c);
}

int http_client_max_attempts(const http_client_t *c)
{
	return c->max_attempts;
}

long http_client_retry_delay_ms(const http_client_t *c, int attempt, const char *retry_after)
{
	return http_backoff_delay_ms(c->backoff_ms, attempt, retry_after, time(NULL));
}

/* libcurl reads http_proxy only in lower case (CGI servers set HTTP_PROXY from a request
 * header); imgbuild is no CGI program, so the upper-case form counts too, after it. */
static void set_upper_case_http_proxy(CURL *curl, const char *url)
{
	const char *lower = getenv("http_proxy"), *upper = getenv("HTTP_PROXY");
	if (strncasecmp(url, "http://", 7) != 0 || (lower && *lower) || !upper || !*upper)
		return;
	curl_easy_setopt(curl, CURLOPT_PROXY, upper); /* no_proxy/NO_PROXY still apply */
}

void http_client_setup(const http_client_t *c, CURL *curl, const char *url, unsigned flags)
{
	int is_https = strncasecmp(url, "https://", 8) == 0;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, HTTP_USER_AGENT);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, c->low_speed_bytes);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
			 (flags & HTTP_ALLOW_FILE) ? "http,https,file" : "http,https");
	if (flags & HTTP_FOLLOW) {
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
		/* a redirect never leaves TLS (nor reaches file://) */
		curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
				 is_https ? "https" : "http,https");
	}
	if (c->ca_file) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(curl, CURLOPT_CAPATH, HTTP_SYSTEM_CA_DIR);
	} else if (c->has_system_ca_dir) {
		/* The same system CAs as libcurl's bundle file (update-ca-certificates writes
		 * both), looked up by subject hash when a handshake needs one: OpenSSL 3 spends
		 * ~0.15 s of CPU parsing the whole bundle at each handle's first TLS connect, and
		 * again on the TLS try of every plain-HTTP loopback registry client. */
		curl_easy_setopt(curl, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(curl, CURLOPT_CAPATH, HTTP_SYSTEM_CA_DIR);
	}
	set_upper_case_http_proxy(curl, url);
}

int http_answer_is_document(CURL *curl)
{
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status == 0 || (status >= 200 && status < 300);
}

/* ---- retries ---- */

int http_status_is_transient(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

int http_curl_is_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR: return 1;
	default: return 0;
	}
}

long http_backoff_delay_ms(long first_ms, int attempt, const char *retry_after, time_t now)
{
	long ms = first_ms;
	for (int i = 1; i < attempt && ms < HTTP_BACKOFF_CAP_MS; i++)
		ms *= 2;
	if (ms > HTTP_BACKOFF_CAP_MS)
		ms = HTTP_BACKOFF_CAP_MS;
	if (retry_after && *retry_after) {
		/* RFC 9110 10.2.3: delta-seconds or an HTTP-date; capped so a server cannot park
		 * the build; anything unreadable falls back to our own schedule */
		char *end = NULL;
		long s = strtol(retry_after, &end, 10);
		if (end != retry_after && end && !*end && s >= 0) {
			ms = (s > HTTP_RETRY_AFTER_CAP_S ? HTTP_RETRY_AFTER_CAP_S : s) * 1000L;
		} else {
			time_t when = curl_getdate(retry_after, NULL);
			if (when != (time_t)-1) {
				long long d = when > now ? (long long)(when - now) : 0;
				ms = (d > HTTP_RETRY_AFTER_CAP_S ? HTTP_RETRY_AFTER_CAP_S
								 : (long)d) *
				     1000L;
			}
		}
	}
	return ms;
}

void http_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- messages ---- */

void http_describe_error(CURLcode rc, const char *errbuf, buf_t *out, int *hint)
{
	buf_addstr(out, errbuf && *errbuf ? errbuf : curl_easy_strerror(rc));
	if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		buf_addstr(out, " (the server's certificate is not trusted here: trust the CA that "
				"signed it, or fix the certificate)");
		if (hint)
			*hint = ERR_HINT_TLS_UNTRUSTED;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		buf_addstr(out, " (stalled or too slow)");
	}
}
