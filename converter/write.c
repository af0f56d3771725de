/* SPDX-License-Identifier: Apache-2.0 */
/* write.c — the converter's writer: a ModelProto packed with protobuf-c, to memory or to a file
 * (through a temporary file and a rename, kept next to the external data it refers to). */
#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

onnxbn_status onnxbn_proto_pack(const Onnx__ModelProto *mp, void **buf, size_t *len,
                                onnxbn_error *err)
{
    *buf = NULL;
    *len = 0;
    size_t n = onnx__model_proto__get_packed_size(mp);
    /* Protobuf readers (onnx, onnxruntime) refuse messages of 2 GiB and more. */
    if (n >= (size_t)INT32_MAX)
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                           "the model would be %zu bytes, over the 2 GiB protobuf limit", n);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", n);
    size_t w = onnx__model_proto__pack(mp, b);
    if (w != n) {
        free(b);
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "packing the model gave %zu bytes, expected %zu",
                           w, n);
    }
    *buf = b;
    *len = n;
    return ONNXBN_OK;
}

static bool has_external(const Onnx__GraphProto *gp)
{
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->has_data_location &&
            gp->initializer[i]->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
            return true;
    return false;
}

/* External data is found relative to the model file: writing elsewhere would lose it. */
static onnxbn_status check_external(const Onnx__ModelProto *mp, const char *base_dir,
                                    const char *path, onnxbn_error *err)
{
    if (!mp->graph || !has_external(mp->graph))
        return ONNXBN_OK;
    char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    onnxbn_path_dir(path, dir, sizeof dir);
    if (!base_dir || !realpath(base_dir, a) || !realpath(dir, b) || strcmp(a, b))
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                           "the model keeps tensors in external data files: write it into the "
                           "folder it was loaded from (%.200s)",
                           base_dir ? base_dir : "loaded from memory");
    return ONNXBN_OK;
}

onnxbn_status onnxbn_proto_write(const Onnx__ModelProto *mp, const char *base_dir,
                                 const char *path, onnxbn_error *err)
{
    onnxbn_status st = check_external(mp, base_dir, path, err);
    void *buf;
    size_t len;
    if (st || (st = onnxbn_proto_pack(mp, &buf, &len, err)))
        return st;
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        free(buf);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "the path '%.200s' is too long", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        free(buf);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot write '%.300s': %s", path, strerror(errno));
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, (const char *)buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    free(buf);
    int e = errno;
    if (close(fd) != 0 && done == len)
        e = errno, done = 0;
    if (done != len) {
        unlink(tmp);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "writing '%.300s' failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot write '%.300s': %s", path, strerror(e));
    }
    return ONNXBN_OK;
}
