/* strmap.c — see strmap.h. Keys live in one growing arena of NUL-terminated strings (in
 * insertion order), slots hold the index of their item. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

typedef struct item {
	size_t key; /* offset in the arena */
	size_t value;
	uint64_t hash;
} item_t;

struct strmap {
	buf_t arena;
	item_t *items;
	size_t n, cap_items;
	size_t *slots;  /* item index + 1; 0 = empty */
	size_t n_slots; /* a power of two */
};

static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

strmap_t *strmap_new(void)
{
	strmap_t *m = xcalloc(1, sizeof *m);
	m->n_slots = 64;
	m->slots = xcalloc(m->n_slots, sizeof *m->slots);
	return m;
}

void strmap_free(strmap_t *m)
{
	if (!m)
		return;
	buf_free(&m->arena);
	free(m->items);
	free(m->slots);
	free(m);
}

static const char *key_at(const strmap_t *m, size_t i)
{
	return m->arena.data + m->items[i].key;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const strmap_t *m, const char *key, uint64_t h)
{
	size_t mask = m->n_slots - 1, s = (size_t)h & mask;
	while (m->slots[s]) {
		size_t i = m->slots[s] - 1;
		if (m->items[i].hash == h && !strcmp(key_at(m, i), key))
			return s;
		s = (s + 1) & mask;
	}
	return s;
}

static void grow(strmap_t *m)
{
	free(m->slots);
	m->n_slots *= 2;
	m->slots = xcalloc(m->n_slots, sizeof *m->slots);
	for (size_t i = 0; i < m->n; i++) {
		size_t mask = m->n_slots - 1, s = (size_t)m->items[i].hash & mask;
		while (m->slots[s])
			s = (s + 1) & mask;
		m->slots[s] = i + 1;
	}
}

int strmap_add(strmap_t *m, const char *key, size_t value, size_t *old)
{
	uint64_t h = hash_of(key);
	size_t s = find_slot(m, key, h);
	if (m->slots[s]) {
		if (old)
			*old = m->items[m->slots[s] - 1].value;
		return 0;
	}
	if (m->n == m->cap_items) {
		m->cap_items = m->cap_items ? m->cap_items * 2 : 64;
		m->items = xrealloc(m->items, m->cap_items * sizeof *m->items);
	}
	m->items[m->n] = (item_t){m->arena.len, value, h};
	buf_add(&m->arena, key, strlen(key) + 1);
	m->slots[s] = ++m->n;
	if (m->n * 2 > m->n_slots)
		grow(m);
	return 1;
}

int strmap_get(const strmap_t *m, const char *key, size_t *value)
{
	size_t s = find_slot(m, key, hash_of(key));
	if (!m->slots[s])
		return 0;
	if (value)
		*value = m->items[m->slots[s] - 1].value;
	return 1;
}

int strmap_set(strmap_t *m, const char *key, size_t value)
{
	size_t s = find_slot(m, key, hash_of(key));
	if (!m->slots[s])
		return -1;
	m->items[m->slots[s] - 1].value = value;
	return 0;
}

size_t strmap_count(const strmap_t *m)
{
	return m->n;
}

void strmap_each(const strmap_t *m, void (*fn)(void *ud, const char *key, size_t value), void *ud)
{
	for (size_t i = 0; i < m->n; i++)
		fn(ud, key_at(m, i), m->items[i].value);
}
