/* fuzz_ref.c — image references through oci/ref.c. Round-trip property (issue 10): for every
 * reference oci_ref_parse accepts, oci_ref_format writes one whose name (registry/repository)
 * is within distribution's 255-character limit and which parses back to the same registry,
 * repository, tag and digest; the registry is a host[:port] or a bracketed IPv6 literal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ref.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	oci_ref_t r = OCI_REF_INIT, back = OCI_REF_INIT;
	err_t err = ERR_INIT;
	buf_t text = BUF_INIT;
	if (oci_ref_parse(s, &r, &err) != 0) {
		fuzz_check_message(&err, NULL);
		goto out;
	}
	oci_ref_format(&r, &text);
	size_t name_len = strlen(r.registry) + 1 + strlen(r.repository);
	FUZZ_ASSERT(name_len <= 255, "'%s' -> name of %zu characters", s, name_len);
	FUZZ_ASSERT(oci_ref_parse(text.data, &back, &err) == 0,
		    "'%s' -> '%s', which does not parse: %s", s, text.data, err_msg(&err));
	FUZZ_ASSERT(same(r.registry, back.registry) && same(r.repository, back.repository) &&
			    same(r.tag, back.tag) && same(r.digest, back.digest),
		    "'%s' -> '%s' reads back as another reference", s, text.data);
	for (const char *p = r.registry; *p; p++)
		FUZZ_ASSERT(*p > 0x20 && *p < 0x7f && *p != '/', "registry '%s'", r.registry);
	(void)oci_ref_api_host(r.registry);
	(void)oci_ref_is_loopback(r.registry);
out:
	oci_ref_clear(&r);
	oci_ref_clear(&back);
	err_clear(&err);
	buf_free(&text);
	free(s);
	return 0;
}
