/* yamlutil.h — what envspec.c and lock.c need from libyaml beyond its parser: duplicate
 * mapping keys found in linear time (a set of the keys seen, not a comparison of every pair: a
 * hostile file can hold a mapping with a million keys; YAML requires unique keys and conda's
 * loader refuses duplicates, libyaml does not check, and a reader that takes the first of two
 * keys while another takes the last reads a different file), and the 1-based position of a
 * parser error (libyaml gives reader errors a byte offset only). */
#ifndef IMGBUILD_YAMLUTIL_H
#define IMGBUILD_YAMLUTIL_H

#include <stddef.h>

#include <yaml.h>

/* The first scalar key of map (in document order) equal to an earlier one; *first is set to
 * that earlier key. NULL when map is not a mapping or its scalar keys all differ. Both nodes
 * are borrowed from doc. */
yaml_node_t *yamlutil_duplicate_key(yaml_document_t *doc, const yaml_node_t *map,
				    yaml_node_t **first);

/* Line and column (1-based) of parser's error in data (the bytes it parsed). */
void yamlutil_error_position(const yaml_parser_t *parser, const char *data, size_t len,
			     size_t *line, size_t *col);

#endif
