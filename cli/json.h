/* SPDX-License-Identifier: Apache-2.0 */
/* json.h — the few JSON pieces the commands' --json output needs: escaped strings, shapes.
 * Output is written as it goes (no document tree), one object per command run. */
#ifndef ONNXBN_CLI_JSON_H
#define ONNXBN_CLI_JSON_H

#include <stdio.h>

#include "onnxbn.h"

/* `s` as a JSON string literal, quotes included (NULL prints as ""). */
void cli_json_str(FILE *f, const char *s);
/* A declared shape: null when unknown (rank -1), else an array of numbers for known
 * dimensions, strings for symbolic ones and null for unnamed unknown ones. */
void cli_json_shape(FILE *f, const onnxbn_value_info *vi);
/* A double that stays valid JSON: non-finite values print as null. */
void cli_json_num(FILE *f, double v);

#endif
