/* chokepoint: replay a fuzz corpus without libFuzzer.
 *
 * usage: fuzz_scenario_replay DIR|FILE...  Feeds every regular file (of each
 * directory, not recursing) to LLVMFuzzerTestOneInput once. A crash or abort
 * fails the test; refusals are the expected outcome for most inputs. The test
 * passes the corpus (tests/fuzz/corpus) and the folders of fixtures and
 * configs, which are read where they live rather than copied into the corpus;
 * a folder with no regular file fails, as it would test nothing. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int feed(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        fprintf(stderr, "out of memory reading %s\n", path);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

/* Feed the regular files of one directory; the number fed, or -1 when the
 * directory cannot be read or a file cannot be opened. */
static int feed_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot read the directory %s\n", dir);
        return -1;
    }
    int files = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            bad |= feed(path) != 0;
            files++;
        }
    }
    closedir(d);
    return bad ? -1 : files;
}

int main(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "no such file or directory: %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
            bad |= feed(argv[i]) != 0;
            files++;
            continue;
        }
        int n = feed_dir(argv[i]);
        if (n == 0)
            fprintf(stderr, "no input in %s\n", argv[i]);
        bad |= n <= 0;
        files += n > 0 ? n : 0;
    }
    printf("replayed %d inputs\n", files);
    /* an empty corpus would test nothing */
    return bad || files == 0 ? 1 : 0;
}
