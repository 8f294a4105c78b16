/* yamlutil.c — duplicate YAML keys and error positions (see yamlutil.h). The key set is a
 * jansson object keyed by the key's bytes (with its length: a "\0" escape must not make two
 * keys equal). */
#include "yamlutil.h"

#include <jansson.h>
#include <string.h>

yaml_node_t *yamlutil_duplicate_key(yaml_document_t *doc, const yaml_node_t *map,
				    yaml_node_t **first)
{
	yaml_node_t *dup = NULL;
	json_t *seen;
	*first = NULL;
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	seen = json_object();
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && !dup; p++) {
		yaml_node_t *key = yaml_document_get_node(doc, p->key);
		if (!key || key->type != YAML_SCALAR_NODE)
			continue;
		const char *k = (const char *)key->data.scalar.value;
		size_t n = key->data.scalar.length;
		json_t *at = json_object_getn(seen, k, n);
		if (at) {
			dup = key;
			*first = yaml_document_get_node(doc, (int)json_integer_value(at));
		} else {
			json_object_setn_new_nocheck(seen, k, n, json_integer(p->key));
		}
	}
	json_decref(seen);
	return dup;
}

void yamlutil_error_position(const yaml_parser_t *parser, const char *data, size_t len,
			     size_t *line, size_t *col)
{
	*line = parser->problem_mark.line + 1;
	*col = parser->problem_mark.column + 1;
	if (parser->error != YAML_READER_ERROR)
		return;
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}
