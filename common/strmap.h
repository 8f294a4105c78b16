/* strmap.h — a hash map from strings (copied) to a size_t, for path sets of up to millions of
 * entries: open addressing, FNV-1a, grows at 1/2 load. Not thread-safe. */
#ifndef IMGBUILD_STRMAP_H
#define IMGBUILD_STRMAP_H

#include <stddef.h>

typedef struct strmap strmap_t;

strmap_t *strmap_new(void);
void strmap_free(strmap_t *m); /* NULL is a no-op */
/* Adds key -> value unless key is there. Returns 1 when added, 0 when present (then *old, if
 * not NULL, gets the value it has; it is not changed). */
int strmap_add(strmap_t *m, const char *key, size_t value, size_t *old);
/* 1 and *value when key is there, else 0. */
int strmap_get(const strmap_t *m, const char *key, size_t *value);
/* Sets the value of a present key; 0, or -1 when key is absent. */
int strmap_set(strmap_t *m, const char *key, size_t value);
size_t strmap_count(const strmap_t *m);
/* Calls fn for every key in insertion order. */
void strmap_each(const strmap_t *m, void (*fn)(void *ud, const char *key, size_t value), void *ud);

#endif
