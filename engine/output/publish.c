/* chokepoint: safe publishing of a results file (publish_impl.h): a
 * temporary file beside the target (mkstemp, so the final rename stays within
 * one file system and is atomic), fsync, link or rename onto the target,
 * fsync of the directory, and removal of the temporary file on abort. */
#include "publish_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/error_impl.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *ckp_publish_stem(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dirlen;
    size_t len = strlen(base), keep = len;
    int cut = 1 + len + CKP_SIBLING_SUFFIX_MAX > NAME_MAX;
    if (cut) {
        /* '.' + kept bytes + '~' + 16 hex digits + the longest suffix */
        keep = NAME_MAX - 18 - CKP_SIBLING_SUFFIX_MAX;
        while (keep > 0 && ((unsigned char)base[keep] & 0xC0) == 0x80)
            keep--; /* not inside a UTF-8 character */
    }
    size_t n = dirlen + 1 + keep + 18;
    char *stem = malloc(n);
    if (!stem)
        return NULL;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)base[i]) * 0x100000001b3u;
    if (cut)
        snprintf(stem, n, "%.*s.%.*s~%016llx", (int)dirlen, path, (int)keep, base,
                 (unsigned long long)h);
    else
        snprintf(stem, n, "%.*s.%s", (int)dirlen, path, base);
    return stem;
}

ckp_status ckp_publish_check(const char *path, int force, ckp_error *err)
{
    struct stat stt;
    if (stat(path, &stt) == 0) {
        if (S_ISDIR(stt.st_mode))
            return CKP_FAIL(err, CKP_ERR_IO, "%s: is a directory", path);
        /* The result is renamed onto the target: onto a device, FIFO or
         * socket (say /dev/null with --force) that would replace the special
         * file itself with a regular one. */
        if (!S_ISREG(stt.st_mode))
            return CKP_FAIL(err, CKP_ERR_IO,
                            "%s: not a regular file; results are written only to regular files",
                            path);
        if (!force)
            return CKP_FAIL(err, CKP_ERR_EXISTS, "%s: exists; use --force to replace it", path);
    } else if (lstat(path, &stt) == 0 && S_ISLNK(stt.st_mode) && !force) {
        /* A dangling symbolic link: publishing would find the name taken only
         * at the very end (link(2) does not follow it); say so before the run.
         * With force the link itself is replaced, as a link to a file is. */
        return CKP_FAIL(err, CKP_ERR_EXISTS,
                        "%s: exists (a symbolic link to a missing file); use --force to replace "
                        "the link",
                        path);
    }
    return CKP_OK;
}

ckp_status ckp_publish_begin(ckp_publish *p, const char *path, int force, ckp_error *err)
{
    p->force = force;
    p->target = dup_str(path);
    char *stem = ckp_publish_stem(path);
    size_t n = stem ? strlen(stem) + 12 : 0;
    p->tmp = stem ? malloc(n) : NULL;
    if (p->tmp)
        snprintf(p->tmp, n, "%s.tmp-XXXXXX", stem);
    free(stem);
    if (!p->target || !p->tmp)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    int fd = mkstemp(p->tmp);
    if (fd < 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                        strerror(errno));
    p->tmp_exists = 1;
    /* mkstemp makes the file private (0600); a results file gets the mode any
     * new file would: 0666 less the umask (read back by setting it again,
     * which is not thread-safe, but nothing here creates files meanwhile). */
    mode_t mask = umask(022);
    umask(mask);
    int bad = fchmod(fd, 0666 & ~mask) != 0;
    close(fd);
    if (bad)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: %s", p->tmp, strerror(errno));
    return CKP_OK;
}

static ckp_status sync_path(const char *path, int dir, ckp_error *err)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: %s", path, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* Some file systems cannot fsync a directory; that is no reason to fail. */
    if (rc != 0 && !(dir && (e == EINVAL || e == EROFS || e == EBADF)))
        return CKP_FAIL(err, CKP_ERR_IO, "%s: fsync: %s", path, strerror(e));
    return CKP_OK;
}

/* Move the temporary file onto the target. Without force, link(2) refuses
 * atomically if the target appeared while we were running. */
static ckp_status move_onto_target(ckp_publish *p, ckp_error *err)
{
    if (!p->force) {
        if (link(p->tmp, p->target) == 0) {
            unlink(p->tmp);
            p->tmp_exists = 0;
            return CKP_OK;
        }
        if (errno == EEXIST)
            return CKP_FAIL(err, CKP_ERR_EXISTS,
                            "%s: appeared while the run was writing; use --force to replace it "
                            "(nothing was written)",
                            p->target);
        /* No hard links here (some network and FAT file systems): check, then rename. */
        struct stat stt;
        if (stat(p->target, &stt) == 0)
            return CKP_FAIL(err, CKP_ERR_EXISTS, "%s: exists; use --force to replace it",
                            p->target);
    }
    if (rename(p->tmp, p->target) != 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot rename %s: %s", p->target, p->tmp,
                        strerror(errno));
    p->tmp_exists = 0;
    return CKP_OK;
}

ckp_status ckp_publish_commit(ckp_publish *p, ckp_error *err)
{
    CKP_TRY(sync_path(p->tmp, 0, err));
    CKP_TRY(move_onto_target(p, err));
    /* The directory entry: the target's directory, "/" or ".". */
    const char *slash = strrchr(p->target, '/');
    char *dir = slash ? dup_str(p->target) : dup_str(".");
    ckp_status st = CKP_OK;
    if (dir && slash)
        dir[slash - p->target + (slash == p->target)] = '\0';
    if (dir)
        st = sync_path(dir, 1, err);
    free(dir);
    return st;
}

void ckp_publish_discard(ckp_publish *p)
{
    if (p->tmp_exists)
        unlink(p->tmp);
    p->tmp_exists = 0;
    free(p->target);
    free(p->tmp);
    p->target = p->tmp = NULL;
}
