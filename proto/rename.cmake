# SPDX-License-Identifier: Apache-2.0
# Renames protoc-c output NAME.pb-c.{c,h} to onnx.pb-c.{c,h} when the schema has another file name.
if(NOT NAME STREQUAL "onnx")
  file(RENAME "${DIR}/${NAME}.pb-c.h" "${DIR}/onnx.pb-c.h")
  file(READ "${DIR}/${NAME}.pb-c.c" src)
  string(REPLACE "\"${NAME}.pb-c.h\"" "\"onnx.pb-c.h\"" src "${src}")
  file(WRITE "${DIR}/onnx.pb-c.c" "${src}")
  file(REMOVE "${DIR}/${NAME}.pb-c.c")
endif()
