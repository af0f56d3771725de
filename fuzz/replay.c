/* SPDX-License-Identifier: Apache-2.0 */
/* replay.c — a main() for the fuzz targets without libFuzzer: feeds every file named on the command
 * line (folders: every file in them, recursively) to LLVMFuzzerTestOneInput, for ctest and gdb. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, int *count)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        fprintf(stderr, "replay: cannot open '%s'\n", path);
        return 1;
    }
    if (S_ISDIR(sb.st_mode)) {
        struct dirent **list;
        int n = scandir(path, &list, NULL, alphasort);
        if (n < 0) {
            fprintf(stderr, "replay: cannot list '%s'\n", path);
            return 1;
        }
        int rc = 0;
        for (int i = 0; i < n; i++) {
            const char *name = list[i]->d_name;
            if (strcmp(name, ".") && strcmp(name, "..") && !rc) {
                size_t len = strlen(path) + strlen(name) + 2;
                char *sub = malloc(len);
                if (!sub)
                    return 1;
                snprintf(sub, len, "%s/%s", path, name);
                rc = replay(sub, count);
                free(sub);
            }
            free(list[i]);
        }
        free(list);
        return rc;
    }
    if (!S_ISREG(sb.st_mode))
        return 0; /* links are not followed: the malformed corpus has one to /etc */
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open '%s'\n", path);
        return 1;
    }
    uint8_t *buf = malloc((size_t)sb.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
    fclose(f);
    if (!buf || n != (size_t)sb.st_size) {
        free(buf);
        fprintf(stderr, "replay: cannot read '%s'\n", path);
        return 1;
    }
    /* A copy of exactly n bytes, so reading past the input shows up under ASan and valgrind. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return 1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    (*count)++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    int count = 0;
    for (int i = 1; i < argc; i++)
        if (replay(argv[i], &count))
            return 1;
    printf("replayed %d inputs\n", count);
    return 0;
}
