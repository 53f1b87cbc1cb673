/* fs.c: file-system helpers shared by the writers of results and reports. */
#include "bh.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int
bh_mkdir_parents(const char *path) {
    char buf[4096];
    size_t n = path ? strlen(path) : 0;
    if (n == 0 || n >= sizeof buf)
        return n == 0 ? 0 : BH_EIO;
    memcpy(buf, path, n + 1);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    /* Each prefix in turn, from the top: existing folders are fine. */
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return BH_EIO;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : BH_EIO;
}
