/* shard_msgpack.c — the MessagePack subset CEP-16 sharded repodata uses, read into jansson
 * values: maps (string keys) -> objects, arrays, strings, integers, floats, nil, booleans,
 * and bin -> lower-case hex strings (shards carry sha256/md5 as raw bytes; repodata.json has
 * hex). A reader of our own rather than Debian's msgpack-c 4.0: that one allocates what an
 * array/map header declares before reading its elements (5 bytes can ask for 96 GB), and we
 * want jansson values anyway. Every declared length is checked against the bytes left. */
#include "shard.h"

#include <stdint.h>
#include <string.h>

/* Nesting in real shards is 4 deep (shard > packages > record > depends); 32 is generous. */
#define MSGPACK_MAX_DEPTH 32

struct reader {
	const unsigned char *p, *end;
	err_t *err;
};

static int need(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return err_set(r->err, "truncated MessagePack (%zu more bytes needed)", n);
	return 0;
}

static uint64_t be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads an n-byte big-endian length/value after the type byte. */
static int read_uint(struct reader *r, size_t n, uint64_t *out)
{
	if (need(r, n) != 0)
		return -1;
	*out = be(r->p, n);
	r->p += n;
	return 0;
}

static json_t *read_value(struct reader *r, int depth);

static json_t *read_str(struct reader *r, uint64_t len)
{
	if (len > (uint64_t)(r->end - r->p)) {
		err_set(r->err, "MessagePack string of %llu bytes runs past the end of the data",
			(unsigned long long)len);
		return NULL;
	}
	json_t *s = json_stringn((const char *)r->p, (size_t)len);
	if (!s)
		err_set(r->err, "MessagePack string is not valid UTF-8");
	r->p += len;
	return s;
}

static json_t *read_bin(struct reader *r, uint64_t len)
{
	static const char hexdig[] = "0123456789abcdef";
	if (len > (uint64_t)(r->end - r->p) || len > (64u << 20)) {
		err_set(r->err, "MessagePack bin of %llu bytes runs past the end of the data",
			(unsigned long long)len);
		return NULL;
	}
	buf_t hex = BUF_INIT;
	buf_grow(&hex, (size_t)len * 2);
	for (uint64_t i = 0; i < len; i++) {
		buf_addch(&hex, hexdig[r->p[i] >> 4]);
		buf_addch(&hex, hexdig[r->p[i] & 15]);
	}
	r->p += len;
	json_t *s = json_stringn(hex.data ? hex.data : "", hex.len);
	buf_free(&hex);
	return s;
}

/* Each element takes at least one byte (two per map entry): a count larger than what is left
 * is refused before anything is allocated for it. */
static json_t *read_array(struct reader *r, uint64_t n, int depth)
{
	if (n > (uint64_t)(r->end - r->p)) {
		err_set(r->err, "MessagePack array claims %llu elements, more than the data holds",
			(unsigned long long)n);
		return NULL;
	}
	json_t *a = json_array();
	for (uint64_t i = 0; i < n; i++) {
		json_t *v = read_value(r, depth + 1);
		if (!v || json_array_append_new(a, v) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *read_map(struct reader *r, uint64_t n, int depth)
{
	if (n > (uint64_t)(r->end - r->p) / 2) {
		err_set(r->err, "MessagePack map claims %llu entries, more than the data holds",
			(unsigned long long)n);
		return NULL;
	}
	json_t *o = json_object();
	for (uint64_t i = 0; i < n; i++) {
		json_t *k = read_value(r, depth + 1);
		if (k && !json_is_string(k)) {
			err_set(r->err, "MessagePack map key is not a string");
			json_decref(k);
			k = NULL;
		}
		/* refused as jansson refuses them in repodata.json (repodata.h): a NUL makes two
		 * keys look alike to C readers, a duplicate shows one reader another's record */
		if (k && memchr(json_string_value(k), '\0', json_string_length(k))) {
			err_set(r->err, "MessagePack map key with a NUL byte");
			json_decref(k);
			k = NULL;
		} else if (k && json_object_getn(o, json_string_value(k), json_string_length(k))) {
			err_set(r->err, "duplicate MessagePack map key '%.100s'",
				json_string_value(k));
			json_decref(k);
			k = NULL;
		}
		json_t *v = k ? read_value(r, depth + 1) : NULL;
		if (!v ||
		    json_object_setn_new(o, json_string_value(k), json_string_length(k), v) != 0) {
			json_decref(k);
			json_decref(o);
			return NULL;
		}
		json_decref(k);
	}
	return o;
}

static json_t *read_int(struct reader *r, unsigned char t)
{
	/* 0xcc-0xcf unsigned 8/16/32/64, 0xd0-0xd3 signed 8/16/32/64 */
	size_t n = (size_t)1 << (t & 3);
	uint64_t u;
	if (read_uint(r, n, &u) != 0)
		return NULL;
	if (t <= 0xcf) {
		if (u > (uint64_t)INT64_MAX) {
			err_set(r->err, "MessagePack integer %llu is out of range",
				(unsigned long long)u);
			return NULL;
		}
		return json_integer((json_int_t)u);
	}
	if (n < 8 && (u >> (8 * n - 1)) & 1) /* sign-extend */
		u |= ~(uint64_t)0 << (8 * n);
	return json_integer((json_int_t)(int64_t)u);
}

static json_t *read_float(struct reader *r, unsigned char t)
{
	uint64_t u;
	if (read_uint(r, t == 0xca ? 4 : 8, &u) != 0)
		return NULL;
	double d;
	if (t == 0xca) {
		uint32_t u32 = (uint32_t)u;
		float f;
		memcpy(&f, &u32, sizeof f);
		d = f;
	} else {
		memcpy(&d, &u, sizeof d);
	}
	json_t *v = json_real(d); /* NULL for NaN and infinities, which JSON cannot hold */
	if (!v)
		err_set(r->err, "MessagePack float is not a finite number");
	return v;
}

static json_t *read_value(struct reader *r, int depth)
{
	uint64_t n;
	if (depth > MSGPACK_MAX_DEPTH) {
		err_set(r->err, "MessagePack nested deeper than %d levels", MSGPACK_MAX_DEPTH);
		return NULL;
	}
	if (need(r, 1) != 0)
		return NULL;
	unsigned char t = *r->p++;
	if (t <= 0x7f)
		return json_integer(t);
	if (t >= 0xe0)
		return json_integer((int)(signed char)t);
	if ((t & 0xf0) == 0x80)
		return read_map(r, t & 0x0f, depth);
	if ((t & 0xf0) == 0x90)
		return read_array(r, t & 0x0f, depth);
	if ((t & 0xe0) == 0xa0)
		return read_str(r, t & 0x1f);
	switch (t) {
	case 0xc0: return json_null();
	case 0xc2: return json_false();
	case 0xc3: return json_true();
	case 0xc4:
	case 0xc5:
	case 0xc6: return read_uint(r, (size_t)1 << (t - 0xc4), &n) ? NULL : read_bin(r, n);
	case 0xca:
	case 0xcb: return read_float(r, t);
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: return read_int(r, t);
	case 0xd9:
	case 0xda:
	case 0xdb: return read_uint(r, (size_t)1 << (t - 0xd9), &n) ? NULL : read_str(r, n);
	case 0xdc:
	case 0xdd: return read_uint(r, t == 0xdc ? 2 : 4, &n) ? NULL : read_array(r, n, depth);
	case 0xde:
	case 0xdf: return read_uint(r, t == 0xde ? 2 : 4, &n) ? NULL : read_map(r, n, depth);
	default: /* 0xc1 (never used), ext types: nothing CEP-16 writes */
		err_set(r->err, "unsupported MessagePack type 0x%02x", t);
		return NULL;
	}
}

json_t *shard_msgpack_to_json(const void *data, size_t len, err_t *err)
{
	struct reader r = {data, (const unsigned char *)data + len, err};
	json_t *v = read_value(&r, 0);
	if (v && r.p != r.end) {
		err_set(err, "%zu bytes of trailing data after the MessagePack value",
			(size_t)(r.end - r.p));
		json_decref(v);
		v = NULL;
	}
	if (!v)
		err_prefix(err, "at byte %zu", (size_t)(r.p - (const unsigned char *)data));
	return v;
}
