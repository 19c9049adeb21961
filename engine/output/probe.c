/* chokepoint: reading an untrusted results file's metadata in a child process
 * before the reader touches it (h5_impl.h, ckp_h5_probe).
 *
 * libhdf5 1.10.8 crashes or loops forever on some crafted files (damaged
 * global heaps behind variable-length strings, attribute messages), inside
 * its own parser, before our checks see a byte. So a forked child opens the
 * file and makes libhdf5 parse every piece of metadata the readers can reach:
 * every object header, every attribute's value, every string dataset, every
 * dataset's creation properties and chunk index. Its one check is for a defect
 * of libhdf5's (a compact dataset shorter than its shape, which H5Dread would
 * overrun); the rest is the parent's readers', once the child has survived. A child that
 * dies by a signal, exits other than normally, or does not finish within the
 * time limit makes the file "damaged" (CKP_ERR_IO). A file that passed is
 * remembered (device, inode, size, modification and change times) so that a
 * command opening it twice (the reader and the slices) forks once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
/* The child's address space may grow by this much: libhdf5 allocates what a
 * damaged length field asks for (a variable-length string of gigabytes). */
#define PROBE_HEADROOM ((rlim_t)512 << 20)

/* Set in the child when libhdf5 or a buffer failed for want of memory. */
static int short_of_memory;
/* Set in the child to the name of the first dataset whose compact storage is
 * shorter than its shape needs (libhdf5 1.10.8 reads past it, memcpy from a
 * heap block of the stored size: tests/fuzz/findings/README.md). */
static char short_compact[256];

/* After a failed call: was it for want of memory? (walks HDF5's error stack) */
static herr_t resource_error(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    (void)data;
    if (e->maj_num == H5E_RESOURCE)
        short_of_memory = 1;
    return 0;
}

static void failed(void)
{
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, resource_error, NULL);
    H5Eclear2(H5E_DEFAULT);
}

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
        if (!buf)
            short_of_memory = 1;
        else if (rc < 0)
            failed();
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
    } else {
        failed();
    }
    return 0;
}

/* A dataset's filters and chunk index (H5Dget_storage_size walks every chunk's
 * entry), and its values when they are strings (the numbers are data, read
 * through the readers' own size checks). */
static void visit_dataset(hid_t ds)
{
    hid_t pl = H5Dget_create_plist(ds);
    int compact = pl >= 0 && H5Pget_layout(pl) == H5D_COMPACT;
    if (pl >= 0)
        H5Pclose(pl);
    hsize_t stored = H5Dget_storage_size(ds);
    hid_t t = H5Dget_type(ds);
    if (compact && !short_compact[0]) {
        hid_t sp = H5Dget_space(ds);
        hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
        size_t size = t < 0 ? 0 : H5Tget_size(t);
        if (sp >= 0)
            H5Sclose(sp);
        /* an unreadable shape or type is the readers' to report */
        if (n > 0 && size > 0 && (hsize_t)n > stored / size &&
            H5Iget_name(ds, short_compact, sizeof short_compact) <= 0)
            snprintf(short_compact, sizeof short_compact, "?");
    }
    if (t >= 0 && (H5Tget_class(t) == H5T_STRING || H5Tdetect_class(t, H5T_VLEN) > 0))
        read_values(ds, 0);
    if (t >= 0)
        H5Tclose(t);
}

/* The walk goes no deeper than this (the schema's groups are 3 deep) and
 * opens at most this many objects (hard links may form cycles). */
#define PROBE_MAX_DEPTH 8
#define PROBE_MAX_OBJECTS 200000
/* Damaged entries skipped per attribute list or group (their counts come
 * from the file, and may be anything). */
#define PROBE_MAX_SKIPS 16

typedef struct walk {
    int depth;
    long objects;
} walk;

static void visit_object(hid_t o, walk *w);

static herr_t visit_link(hid_t g, const char *name, const H5L_info_t *li, void *data)
{
    walk *w = data;
    if (li->type != H5L_TYPE_HARD || ++w->objects > PROBE_MAX_OBJECTS)
        return 0;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o < 0) {
        failed();
        return 0;
    }
    visit_object(o, w);
    H5Oclose(o);
    return 0;
}

/* Every attribute, then a dataset's storage or a group's members. An
 * iteration that fails on a damaged entry goes on after it (HDF5 stops at
 * the first failure, and the readers open the later entries by name). */
static void visit_object(hid_t o, walk *w)
{
    H5O_info_t oi;
    hsize_t na = H5Oget_info2(o, &oi, H5O_INFO_NUM_ATTRS) >= 0 ? oi.num_attrs : 0;
    for (hsize_t idx = 0, tries = 0; idx < na && tries < PROBE_MAX_SKIPS; idx++, tries++)
        if (H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, visit_attr, NULL) >= 0)
            break;
        else
            failed();
    H5I_type_t type = H5Iget_type(o);
    H5G_info_t gi;
    if (type == H5I_DATASET) {
        visit_dataset(o);
    } else if (type == H5I_GROUP && w->depth < PROBE_MAX_DEPTH && H5Gget_info(o, &gi) >= 0) {
        w->depth++;
        for (hsize_t idx = 0, tries = 0;
             idx < gi.nlinks && tries < PROBE_MAX_SKIPS && w->objects <= PROBE_MAX_OBJECTS;
             idx++, tries++)
            if (H5Literate(o, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, visit_link, w) >= 0)
                break;
            else
                failed();
        w->depth--;
    }
}

/* In a sanitizer's build (the tests), its report on a fault in the child must
 * not run the parent's death callback too (a fuzzer's would record the input
 * as its own crash): the child just dies. Weak: absent from other builds. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* Let the child's address space grow by PROBE_HEADROOM at most: 1 when that
 * is the limit, 0 when the process's own (ulimit -v) is tighter. */
static int limit_memory(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int got = fscanf(f, "%lu", &pages);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    struct rlimit rl;
    if (got != 1 || page <= 0 || getrlimit(RLIMIT_AS, &rl) != 0)
        return 0;
    rlim_t want = (rlim_t)pages * (rlim_t)page + PROBE_HEADROOM;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= want)
        return 0;
    rl.rlim_cur = want;
    return setrlimit(RLIMIT_AS, &rl) == 0;
}

/* The child: parse everything, then say so on fd: 'k' done, 'm' libhdf5 asked
 * for more memory than the headroom, 'n' than the process's own limit allows,
 * 'c' and a name: that dataset's compact storage is shorter than its shape. */
static void child(const char *path, int fd, int seconds)
{
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDERR_FILENO);
    /* a fault kills the child plainly (no handler of the parent's, such as a
     * sanitizer's or a fuzzer's, runs in it) */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], SIG_DFL);
    alarm((unsigned)seconds + 5); /* if the parent is gone */
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(NULL);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int ours = limit_memory();
    if (H5Fis_hdf5(path) > 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            walk w = {0, 0};
            hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
            if (root >= 0) {
                visit_object(root, &w);
                H5Gclose(root);
            } else {
                failed();
            }
            /* no H5Fclose: the child ends with _exit, and closing would only flush caches */
        } else {
            failed();
        }
    }
    char ok[1 + sizeof short_compact];
    ok[0] = short_compact[0] ? 'c' : !short_of_memory ? 'k' : ours ? 'm' : 'n';
    size_t len = ok[0] == 'c' ? strlen(short_compact) : 0;
    memcpy(ok + 1, short_compact, len);
    _exit(write(fd, ok, 1 + len) == (ssize_t)(1 + len) ? 0 : 1);
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

/* Wait for the child's answer on fd until `seconds`: 1 got 'k', 2 'm', 3 'n',
 * 4 'c' (the dataset's name in name), 0 EOF or error, -1 timed out. (The answer
 * is shorter than PIPE_BUF: one write, one read.) */
static int await(int fd, int seconds, char name[static 256])
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
        char c[256];
        ssize_t got = read(fd, c, sizeof c);
        if (got < 0 && errno == EINTR)
            continue;
        if (got >= 1 && c[0] == 'c') {
            memcpy(name, c + 1, (size_t)got - 1);
            name[got - 1] = '\0';
            return 4;
        }
        return got != 1 ? 0 : c[0] == 'k' ? 1 : c[0] == 'm' ? 2 : c[0] == 'n' ? 3 : 0;
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
    char name[256];
    int got = await(fds[0], seconds, name);
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
    if (got == 3 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "%s: out of memory reading the file's metadata", path);
    if (got == 2 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: the file is damaged (reading its metadata would need more than "
                        "%d MiB of memory)",
                        path, (int)(PROBE_HEADROOM >> 20));
    if (got == 4 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: the file is damaged (dataset %s: its compact storage is shorter "
                        "than its shape; the HDF5 library would read past it)",
                        path, name);
    if (got < 0)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: the file is damaged (the HDF5 library did not finish reading it "
                        "in %d s)",
                        path, seconds);
    return CKP_FAIL(err, CKP_ERR_IO,
                    "%s: the file is damaged (the HDF5 library failed while reading it)", path);
}
