/* chokepoint: `chokepoint report FILE.h5 -o REPORT.html [--force]`, one
 * self-contained HTML page of a results file for a decision-maker: inline
 * SVG charts drawn from the file's numbers, inline CSS (screen and print),
 * no script and nothing fetched (a Content-Security-Policy forbids it).
 *
 * Everything is read first (report_data.c); only then is the page written,
 * into a temporary file beside the target that is renamed onto it at the end
 * (the output module's publish helpers), so a bad file or a failed write
 * leaves nothing at the target, and an existing target is never replaced
 * without --force. The sections are listed in `sections` below in page
 * order: a new one (say the tornado chart of a sensitivity run) is a
 * function and a row there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/core/error_impl.h"
#include "engine/output/publish_impl.h"
#include "report.h"

enum { ALWAYS, ONLY_SENS, ONLY_TAIL };

static const struct {
    const char *id, *title;
    void (*write)(FILE *o, const rpt_data *d);
    int only; /* 0: always; ONLY_SENS: files of `chokepoint sensitivity -o`; ONLY_TAIL: with tail/
               */
} sections[] = {
    {"glance", "The scenario at a glance", rpt_sec_glance, 0},
    {"policies", "Policies compared", rpt_sec_policies, 0},
    {"tail", "How sure are the tail figures?", rpt_sec_tail, ONLY_TAIL},
    {"fans", "Shortfall and price by material (baseline)", rpt_sec_fans, 0},
    {"exceedance", "How large can the loss get?", rpt_sec_exceedance, 0},
    {"industries", "Losses by industry", rpt_sec_industries, 0},
    {"worst-path", "The baseline's worst path, month by month", rpt_sec_worst, 0},
    {"sensitivity", "Which assumptions matter? (sensitivity)", rpt_sec_sensitivity, ONLY_SENS},
    {"facts", "About this run", rpt_sec_facts, 0},
};

static void report_usage(FILE *out)
{
    fprintf(out, "Usage: chokepoint report FILE -o REPORT.html [--force]\n"
                 "\n"
                 "Write one self-contained HTML page about FILE, a results file of `chokepoint\n"
                 "run -o`: the scenario at a glance with its supplier x industry exposure heat\n"
                 "map, the policy table (as `chokepoint summary` prints it, with cost and the\n"
                 "CVaR99 reduction), fan charts of shortfall and price by material, exceedance\n"
                 "curves of total loss, losses by industry, the baseline's worst path month by\n"
                 "month and the run's facts. Charts are inline SVG; the page loads nothing from\n"
                 "the network and prints on A4.\n"
                 "\n"
                 "Options:\n"
                 "  -o, --output PATH   the page to write (required); written beside PATH and\n"
                 "                      renamed onto it when complete\n"
                 "  --force             replace PATH if it exists\n"
                 "\n"
                 "Exit status: 0 success; 1 PATH exists without --force, or a write failed;\n"
                 "2 bad input: an option, or FILE missing, not a regular file, not a results\n"
                 "file, damaged, incomplete or of a newer schema.\n");
}

typedef struct report_args {
    const char *file, *out;
    int force;
} report_args;

static int parse_args(int argc, char **argv, report_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)
            return 1;
        if (strcmp(s, "--force") == 0)
            a->force = 1;
        else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "chokepoint report: %s needs a value\n", s);
                return -1;
            }
            a->out = argv[++i];
        } else if (strncmp(s, "--output=", 9) == 0)
            a->out = s + 9;
        else if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "chokepoint report: unknown option '%s'\n", s);
            return -1;
        } else if (a->file) {
            fprintf(stderr, "chokepoint report: more than one file given\n");
            return -1;
        } else
            a->file = s;
    }
    if (!a->file) {
        fprintf(stderr, "chokepoint report: no results file given\n");
        return -1;
    }
    if (!a->out || !a->out[0]) {
        fprintf(stderr, "chokepoint report: -o REPORT.html is required\n");
        return -1;
    }
    return 0;
}

static int shown(size_t i, const rpt_data *d)
{
    return sections[i].only == ALWAYS || (sections[i].only == ONLY_SENS && d->sens.present) ||
           (sections[i].only == ONLY_TAIL && d->tail.present);
}

static void write_page(FILE *o, const rpt_data *d)
{
    rpt_page_begin(o, d);
    fputs("<nav class=\"note\" id=\"contents\">Contents:", o);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (shown(i, d))
            fprintf(o, "%s <a href=\"#%s\">%s</a>", i ? " ·" : "", sections[i].id,
                    sections[i].title);
    fputs("</nav>\n", o);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (!shown(i, d))
            continue;
        rpt_section_begin(o, sections[i].id, sections[i].title);
        sections[i].write(o, d);
        rpt_section_end(o);
    }
    rpt_page_end(o);
}

/* Write the page into the publisher's temporary file and move it onto the target. */
static ckp_status publish_page(const report_args *a, const rpt_data *d, ckp_error *err)
{
    ckp_publish p;
    memset(&p, 0, sizeof p);
    ckp_status st = ckp_publish_begin(&p, a->out, a->force, err);
    FILE *o = st == CKP_OK ? fopen(p.tmp, "w") : NULL;
    if (st == CKP_OK && !o)
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: cannot write: %s", p.tmp, strerror(errno));
    if (o) {
        write_page(o, d);
        int bad = fflush(o) != 0 || ferror(o);
        if (fclose(o) != 0 || bad)
            st = CKP_FAIL(err, CKP_ERR_IO, "%s: cannot write the page (disk full?)", a->out);
    }
    if (st == CKP_OK)
        st = ckp_publish_commit(&p, err);
    ckp_publish_discard(&p);
    return st;
}

int ckp_cmd_report(int argc, char **argv)
{
    report_args a;
    memset(&a, 0, sizeof a);
    int pr = parse_args(argc, argv, &a);
    if (pr != 0) {
        report_usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? 0 : 2;
    }
    ckp_error err;
    ckp_error_clear(&err);
    /* Refuse an existing target before reading anything (and again, atomically, at the end). */
    ckp_status st = ckp_publish_check(a.out, a.force, &err);
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint report: %s\n", err.message);
        return 1;
    }
    rpt_data d;
    st = rpt_data_load(&d, a.file, &err);
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint report: %s\n",
                err.message[0] ? err.message : ckp_status_str(st));
        rpt_data_free(&d);
        /* what the file holds is input: the reader's IO/HDF5 errors and a stored
         * scenario that does not load are bad input */
        return st == CKP_ERR_IO || st == CKP_ERR_HDF5 || st == CKP_ERR_NUMERIC
                   ? 2
                   : ckp_status_exit_code(st);
    }
    st = publish_page(&a, &d, &err);
    rpt_data_free(&d);
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint report: %s\n", err.message);
        return st == CKP_ERR_USAGE || st == CKP_ERR_CONFIG ? 2 : 1;
    }
    return 0;
}
