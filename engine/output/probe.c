/* chokepoint: reading an untrusted results file's metadata in a child process
 * before the reader touches it (h5_impl.h, ckp_h5_probe).
 *
 * libhdf5 1.10.8 crashes or loops forever on some crafted files (damaged
 * global heaps behind variable-length strings, attribute messages), inside
 * its own parser, before our checks see a byte. So a forked child opens the
 * file and makes libhdf5 parse every piece of metadata the readers can reach:
 * every object header, every attribute's value, every string dataset, every
 * dataset's creation properties and chunk index. It does no checking of its
 * own: the parent's readers do that once the child has survived. A child that
 * dies by a signal, exits other than normally, or does not finish within the
 * time limit makes the file "damaged" (CKP_ERR_IO). A file that passed is
 * remembered (device, inode, size, modification and change times) so that a
 * command opening it twice (the reader and the slices) forks once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/error_impl.h"
#include "h5_impl.h"

/* Values read in the child: at most this many elements and bytes each. */
#define PROBE_MAX_ELEMENTS ((hssize_t)1 << 20)
#define PROBE_MAX_BYTES ((size_t)64 << 20)
/* The child's time limit in seconds, unless CHOKEPOINT_READ_TIMEOUT says otherwise. */
#define PROBE_SECONDS 20

/* Read every value of an attribute (is_attr) or a dataset into native memory and
 * give back what libhdf5 allocated for variable-length parts. */
static void read_values(hid_t obj, int is_attr)
{
    hid_t t = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t sp = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    hid_t mt = t < 0 ? -1 : H5Tget_native_type(t, H5T_DIR_DEFAULT);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    size_t size = mt < 0 ? 0 : H5Tget_size(mt);
    if (n > 0 && n <= PROBE_MAX_ELEMENTS && size > 0 && size <= PROBE_MAX_BYTES / (size_t)n) {
        void *buf = calloc((size_t)n, size);
        herr_t rc = -1;
        if (buf)
            rc = is_attr ? H5Aread(obj, mt, buf)
                         : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        if (rc >= 0 && H5Tdetect_class(mt, H5T_VLEN) + H5Tis_variable_str(mt) > 0)
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
        free(buf);
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
}

static herr_t visit_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    (void)data;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a >= 0) {
        read_values(a, 1);
        H5Aclose(a);
    }
    return 0;
}

/* A dataset's filters and chunk index (H5Dget_storage_size walks every chunk's
 * entry), and its values when they are strings (the numbers are data, read
 * through the readers' own size checks). */
static void visit_dataset(hid_t ds)
{
    hid_t pl = H5Dget_create_plist(ds);
    if (pl >= 0)
        H5Pclose(pl);
    (void)H5Dget_storage_size(ds);
    hid_t t = H5Dget_type(ds);
    if (t >= 0 && (H5Tget_class(t) == H5T_STRING || H5Tdetect_class(t, H5T_VLEN) > 0))
        read_values(ds, 0);
    if (t >= 0)
        H5Tclose(t);
}

static herr_t visit_object(hid_t root, const char *name, const H5O_info_t *info, void *data)
{
    (void)data;
    hid_t o = H5Oopen(root, name, H5P_DEFAULT);
    if (o < 0)
        return 0;
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, visit_attr, NULL);
    if (info->type == H5O_TYPE_DATASET)
        visit_dataset(o);
    H5Oclose(o);
    return 0;
}

/* The child: parse everything, then say so on fd. */
static void child(const char *path, int fd, int seconds)
{
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDERR_FILENO);
    signal(SIGALRM, SIG_DFL);
    alarm((unsigned)seconds + 5); /* if the parent is gone */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) > 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            H5Ovisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, visit_object, NULL);
            H5Fclose(f);
        }
    }
    char ok = 'k';
    _exit(write(fd, &ok, 1) == 1 ? 0 : 1);
}

static int limit_seconds(void)
{
    const char *s = getenv("CHOKEPOINT_READ_TIMEOUT");
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : 0;
    return end && *end == '\0' && v >= 1 && v <= 86400 ? (int)v : PROBE_SECONDS;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wait for the child's byte on fd until `seconds`: 1 got it, 0 EOF or error, -1 timed out. */
static int await(int fd, int seconds)
{
    double end = now() + seconds;
    for (;;) {
        double left = end - now();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (r == 0)
            continue;
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        return got == 1 && c == 'k';
    }
}

typedef struct probed {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} probed;

static _Thread_local probed last_ok;

static probed key_of(const struct stat *sb)
{
    probed k;
    memset(&k, 0, sizeof k);
    k.dev = sb->st_dev;
    k.ino = sb->st_ino;
    k.size = sb->st_size;
    k.mtime = sb->st_mtim;
    k.ctime = sb->st_ctim;
    return k;
}

static int same_key(const probed *a, const probed *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

ckp_status ckp_h5_probe(const char *path, ckp_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return CKP_OK; /* the caller says what is wrong */
    probed key = key_of(&sb);
    if (key.ino != 0 && same_key(&key, &last_ok))
        return CKP_OK;
    int seconds = limit_seconds(), fds[2];
    if (pipe(fds) != 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot check the file: %s", path, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return CKP_FAIL(err, e == ENOMEM || e == EAGAIN ? CKP_ERR_NOMEM : CKP_ERR_IO,
                        "%s: cannot check the file: %s", path, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child(path, fds[1], seconds);
    }
    close(fds[1]);
    int got = await(fds[0], seconds);
    close(fds[0]);
    if (got < 0)
        kill(pid, SIGKILL);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (got == 1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        last_ok = key;
        return CKP_OK;
    }
    if (got < 0)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: the file is damaged (the HDF5 library did not finish reading it "
                        "in %d s)",
                        path, seconds);
    return CKP_FAIL(err, CKP_ERR_IO,
                    "%s: the file is damaged (the HDF5 library failed while reading it)", path);
}
