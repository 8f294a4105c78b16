/* yamlkeys.h — duplicate mapping keys in a libyaml document, found in linear time (a set of
 * the keys seen, not a comparison of every pair: a hostile file can hold a mapping with a
 * million keys). YAML requires unique keys and conda's loader refuses duplicates; libyaml does
 * not check, and a reader that takes the first of two keys while another takes the last reads
 * a different file. Used by envspec.c and lock.c. */
#ifndef IMGBUILD_YAMLKEYS_H
#define IMGBUILD_YAMLKEYS_H

#include <yaml.h>

/* The first scalar key of map (in document order) equal to an earlier one; *first is set to
 * that earlier key. NULL when map is not a mapping or its scalar keys all differ. Both nodes
 * are borrowed from doc. */
yaml_node_t *yamlkeys_duplicate(yaml_document_t *doc, const yaml_node_t *map, yaml_node_t **first);

#endif
